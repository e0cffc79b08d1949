import type { TagValue } from '@edgefleet/protocol';
import type { GroupSample } from '../../runtime/group-sample.js';

/** One tag of a record: its value, or the error number of a failed read. */
export type RecordedTag = { tag: string } & ({ value: TagValue } | { error: number });

/** One group read as the Sparkplug sink keeps it until it is sent. */
export interface SampleRecord {
  device: string;
  group: string;
  timestamp: number;
  tags: RecordedTag[];
}

/**
 * What the Sparkplug sink hands its pipeline (and so keeps in its durable buffer) for one group
 * read: names, the read time and the values, not a Sparkplug payload. A payload's seq and bdSeq
 * belong to one MQTT connection and its aliases to one birth, and a message that waited through
 * an outage is sent on another connection, after other births; so the transport encodes a
 * record only when it sends it, through the session of that moment. Names rather than aliases
 * or positions also keep a record readable after a config change (the buffer outlives the sink
 * instance that wrote it): tags that no longer exist are skipped when it is sent.
 *
 * Compact JSON, version 1:
 *
 *     {"v":1,"d":device,"g":group,"t":ms,"m":[[tag, value], [tag, {"e": error}], [tag, {"n": "NaN"}]]}
 *
 * A value is the tag's JSON value (bytes as an array of octets); an object marks what JSON has
 * no value for: a failed read's error number (`e`), or a number that is not finite (`n`:
 * `NaN`, `Infinity`, `-Infinity`, which a float tag can read).
 */
export function encodeSampleRecord(sample: GroupSample): string {
  const { values, errors, changed, group } = sample;
  const tags = group.tags;
  const m: Array<[string, unknown]> = [];
  const n = changed ? changed.length : tags.length;
  for (let k = 0; k < n; k++) {
    const i = changed ? changed[k]! : k;
    const tag = tags[i];
    if (!tag) continue;
    const error = errors.size > 0 ? errors.get(i) : undefined;
    if (error !== undefined) {
      m.push([tag.name, { e: error }]);
      continue;
    }
    const value = values[i];
    if (value === undefined) continue;
    m.push([tag.name, typeof value === 'number' && !Number.isFinite(value) ? { n: String(value) } : value]);
  }
  return JSON.stringify({ v: 1, d: sample.device, g: group.name, t: sample.timestamp, m });
}

const NON_FINITE: Record<string, number> = { NaN: Number.NaN, Infinity: Number.POSITIVE_INFINITY, '-Infinity': Number.NEGATIVE_INFINITY };

/** A record back from its JSON; null for anything else (a message another sink kind left in a buffer of the same name). */
export function decodeSampleRecord(payload: Buffer | string): SampleRecord | null {
  let raw: unknown;
  try {
    raw = JSON.parse(typeof payload === 'string' ? payload : payload.toString('utf8'));
  } catch {
    return null;
  }
  if (!isObject(raw) || raw.v !== 1 || typeof raw.d !== 'string' || typeof raw.g !== 'string' || typeof raw.t !== 'number' || !Number.isFinite(raw.t) || !Array.isArray(raw.m)) return null;
  const tags: RecordedTag[] = [];
  for (const entry of raw.m as unknown[]) {
    if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== 'string') return null;
    const [tag, v] = entry as [string, unknown];
    if (isObject(v)) {
      if (typeof v.e === 'number' && Number.isInteger(v.e)) tags.push({ tag, error: v.e });
      else if (typeof v.n === 'string' && Object.hasOwn(NON_FINITE, v.n)) tags.push({ tag, value: NON_FINITE[v.n]! });
      else return null;
    } else if (isTagValue(v)) {
      tags.push({ tag, value: v });
    } else {
      return null;
    }
  }
  return { device: raw.d, group: raw.g, timestamp: raw.t, tags };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isTagValue(v: unknown): v is TagValue {
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') return true;
  return Array.isArray(v) && v.every((b) => typeof b === 'number' && Number.isInteger(b) && b >= 0 && b <= 255);
}
