import type { GroupValues, TagValue } from '@edgefleet/protocol';
import type { Point } from '../charts';
import { tagKey } from './catalog';

/** The recent numeric values of each tag, by `tagKey`, oldest first, as the sparklines draw them. */
export type TagHistory = ReadonlyMap<string, ReadonlyArray<Point>>;

export const emptyHistory: TagHistory = new Map();

/** How many values a tag keeps: two minutes at the screen's one-second poll. */
export const HISTORY_LENGTH = 120;

export interface RecordOptions {
  /** Values kept per tag; the oldest fall out first. */
  limit?: number;
  /** Whether a tag is charted at all (a string tag holding digits is not a measurement). */
  chartable?: (device: string, group: string, tag: string) => boolean;
}

/**
 * A value as a trend point: numbers, booleans as 0/1 (a valve's open/closed over time), and
 * 64-bit integers sent as decimal strings; anything else is not charted.
 */
export function sampleOf(value: TagValue | undefined): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string' && /^-?\d{1,20}$/.test(value)) return Number(value);
  return null;
}

/**
 * Adds one poll's values to the history. A group's values count once per read: polling faster
 * than the group is read returns the same timestamp again, which adds nothing; nor does a
 * timestamp older than the tag's last point. Each tag keeps its last `limit` points. Returns the
 * same history object when nothing was added, and keeps the arrays of tags that did not change,
 * so a table row redraws only its own sparkline.
 */
export function recordPoll(history: TagHistory, groups: ReadonlyArray<GroupValues>, options: RecordOptions = {}): TagHistory {
  const limit = Math.max(1, options.limit ?? HISTORY_LENGTH);
  let next: Map<string, ReadonlyArray<Point>> | null = null;
  for (const g of groups) {
    for (const [tag, value] of Object.entries(g.values)) {
      if (options.chartable && !options.chartable(g.device, g.group, tag)) continue;
      const v = sampleOf(value);
      if (v === null) continue;
      const key = tagKey(g.device, g.group, tag);
      const points = (next ?? history).get(key) ?? [];
      const last = points[points.length - 1];
      if (last && last[0] >= g.timestamp) continue;
      const kept = points.length >= limit ? points.slice(points.length - limit + 1) : points;
      next ??= new Map(history);
      next.set(key, [...kept, [g.timestamp, v]]);
    }
  }
  return next ?? history;
}
