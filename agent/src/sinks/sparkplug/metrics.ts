import type { Group } from '@edgefleet/protocol';
import { publishedTagType } from './datatypes.js';
import type { SparkplugMetricDefinition } from './session.js';

/**
 * Metric names. Each southbound device is a Sparkplug device, and each tag of a group the sink
 * subscribes to is one of its metrics, named `{group}/{tag}`: tag names are unique within a
 * group only, and Sparkplug hosts show `/` in a metric name as a folder (Ignition does), so a
 * device's metrics appear grouped as in the agent's config. Group and tag names cannot hold `/`
 * (`NameSchema`), so the name splits back unambiguously at its first `/`.
 */
export function metricName(group: string, tag: string): string {
  return `${group}/${tag}`;
}

/** The group and tag of a metric name, or null when it is not `{group}/{tag}`. */
export function parseMetricName(name: string): { group: string; tag: string } | null {
  const i = name.indexOf('/');
  if (i <= 0 || i === name.length - 1) return null;
  const tag = name.slice(i + 1);
  if (tag.includes('/')) return null;
  return { group: name.slice(0, i), tag };
}

/**
 * The metrics of a device: every tag of its subscribed groups, in config order, typed as the
 * tag publishes (an integer tag with a scale or offset publishes a Double). `rw` tags are
 * writable through DCMD.
 */
export function deviceMetrics(groups: readonly Group[]): SparkplugMetricDefinition[] {
  return groups.flatMap((g) => g.tags.map((t) => ({ name: metricName(g.name, t.name), type: publishedTagType(t), writable: t.access === 'rw' })));
}
