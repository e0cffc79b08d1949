import { z } from 'zod';
import { TagAccessSchema, TagTypeSchema, type GroupValues, type TagAccess, type TagType, type TagValue } from '@edgefleet/protocol/browser';

/** What the live screen needs to know of a configured tag. */
export interface TagInfo {
  name: string;
  type: TagType;
  access: TagAccess;
  unit?: string;
  description?: string;
  scale?: number;
  offset?: number;
  precision?: number;
}

export interface GroupInfo {
  name: string;
  intervalMs: number;
  tags: TagInfo[];
}

export interface DeviceInfo {
  name: string;
  driver: string;
  enabled: boolean;
  groups: GroupInfo[];
}

// Lenient views of the config document: only the fields shown here, unknown fields ignored, and
// one malformed device or tag skipped rather than the whole screen lost.
const TagView = z.object({
  name: z.string(),
  type: TagTypeSchema,
  access: TagAccessSchema.default('r'),
  unit: z.string().optional(),
  description: z.string().optional(),
  scale: z.number().optional(),
  offset: z.number().optional(),
  precision: z.number().optional(),
});
const GroupView = z.object({ name: z.string(), intervalMs: z.number(), tags: z.array(z.unknown()).default([]) });
const DeviceView = z.object({ name: z.string(), driver: z.string(), enabled: z.boolean().default(true), groups: z.array(z.unknown()).default([]) });
const DocumentView = z.object({ devices: z.array(z.unknown()).default([]) });

/** The devices, groups and tags of a config document (as `GET /agents/:id/config` returns it). */
export function catalogOf(document: unknown): DeviceInfo[] {
  const doc = DocumentView.safeParse(document);
  if (!doc.success) return [];
  const devices: DeviceInfo[] = [];
  for (const raw of doc.data.devices) {
    const device = DeviceView.safeParse(raw);
    if (!device.success) continue;
    const groups: GroupInfo[] = [];
    for (const rawGroup of device.data.groups) {
      const group = GroupView.safeParse(rawGroup);
      if (!group.success) continue;
      const tags: TagInfo[] = [];
      for (const rawTag of group.data.tags) {
        const tag = TagView.safeParse(rawTag);
        if (tag.success) tags.push(tag.data);
      }
      groups.push({ name: group.data.name, intervalMs: group.data.intervalMs, tags });
    }
    devices.push({ name: device.data.name, driver: device.data.driver, enabled: device.data.enabled, groups });
  }
  return devices;
}

export function countTags(catalog: ReadonlyArray<DeviceInfo>): number {
  let n = 0;
  for (const d of catalog) for (const g of d.groups) n += g.tags.length;
  return n;
}

/** Device, group and tag names cannot contain `/` (see `NameSchema`), so this key is unambiguous. */
export function tagKey(device: string, group: string, tag: string): string {
  return `${device}/${group}/${tag}`;
}

export interface LiveRow {
  key: string;
  device: string;
  group: string;
  tag: string;
  /** From the config; null for a tag the agent reports that the desired config does not have. */
  info: TagInfo | null;
  /** The latest value, if the last read of the group gave one. */
  value: TagValue | undefined;
  /** The tag's error number from the last read of its group (see `TagErrorNumber`). */
  error: number | undefined;
}

export interface LiveSection {
  key: string;
  device: string;
  group: string;
  /** The group's poll interval, when the config has the group. */
  intervalMs: number | null;
  /** False for a device the config disables: the agent does not poll it. */
  enabled: boolean;
  /** When the agent last read the group (its clock, ms since the epoch); undefined: not yet. */
  timestamp: number | undefined;
  rows: LiveRow[];
}

/**
 * One section per device and group: those of the config in its order, each tag a row (with its
 * value, or its error, when the agent has one), then whatever the agent reports that the config
 * does not have (it may still run an earlier revision), so nothing it sends is hidden.
 */
export function buildSections(catalog: ReadonlyArray<DeviceInfo>, groups: ReadonlyArray<GroupValues> | undefined): LiveSection[] {
  const byGroup = new Map<string, GroupValues>();
  for (const g of groups ?? []) byGroup.set(`${g.device}/${g.group}`, g);
  const sections: LiveSection[] = [];
  const seen = new Set<string>();

  for (const device of catalog) {
    for (const group of device.groups) {
      const key = `${device.name}/${group.name}`;
      seen.add(key);
      const live = byGroup.get(key);
      const known = new Set(group.tags.map((t) => t.name));
      const rows = group.tags.map((info) => row(device.name, group.name, info.name, info, live));
      for (const name of reportedTags(live)) if (!known.has(name)) rows.push(row(device.name, group.name, name, null, live));
      sections.push({ key, device: device.name, group: group.name, intervalMs: group.intervalMs, enabled: device.enabled, timestamp: live?.timestamp, rows });
    }
  }
  for (const live of groups ?? []) {
    const key = `${live.device}/${live.group}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const rows = reportedTags(live).map((name) => row(live.device, live.group, name, null, live));
    sections.push({ key, device: live.device, group: live.group, intervalMs: null, enabled: true, timestamp: live.timestamp, rows });
  }
  return sections;
}

function reportedTags(live: GroupValues | undefined): string[] {
  if (!live) return [];
  return [...new Set([...Object.keys(live.values), ...Object.keys(live.errors)])].sort();
}

function row(device: string, group: string, tag: string, info: TagInfo | null, live: GroupValues | undefined): LiveRow {
  const has = (o: Record<string, unknown>) => Object.prototype.hasOwnProperty.call(o, tag);
  return {
    key: tagKey(device, group, tag),
    device,
    group,
    tag,
    info,
    value: live && has(live.values) ? live.values[tag] : undefined,
    error: live && has(live.errors) ? live.errors[tag] : undefined,
  };
}

/** The sections with only the rows whose tag name contains `text` (any case); empty sections dropped. */
export function filterSections(sections: ReadonlyArray<LiveSection>, text: string): LiveSection[] {
  const needle = text.trim().toLowerCase();
  if (!needle) return [...sections];
  return sections.map((s) => ({ ...s, rows: s.rows.filter((r) => r.tag.toLowerCase().includes(needle)) })).filter((s) => s.rows.length > 0);
}
