import type { Group, TagValue } from '@edgefleet/protocol';
import type { GroupSample } from '../../runtime/group-sample.js';

/**
 * Neuron's MQTT payloads, written straight from a sample's arrays:
 *
 * - `values`: `{"timestamp", "node", "group", "values": {tag: value}, "errors": {tag: code}, "metas": {}}`
 * - `tags`:   `{"timestamp", "node", "group", "tags": [{"name", "value"} | {"name", "error"}]}`
 *
 * with `node` = the device, so eKuiper rules and Neuron consumers read them unchanged. The text
 * is what `JSON.stringify` makes of the same object, with the tags in the group's order, but it
 * is written directly: building a 1,000-key object per group read only to serialize it cost more
 * than the serializing. Tag names are encoded once per group.
 */

/** Per group: each tag's name as a JSON string, encoded once. */
const encodedNames = new WeakMap<Group, string[]>();

function namesOf(group: Group): string[] {
  let names = encodedNames.get(group);
  if (!names) {
    names = group.tags.map((t) => JSON.stringify(t.name));
    encodedNames.set(group, names);
  }
  return names;
}

/** A value as JSON: JSON has no NaN or Infinity, which `JSON.stringify` writes as null, and so does this. */
export function valueJson(value: TagValue): string {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return JSON.stringify(value);
}

function header(sample: GroupSample): string {
  return `{"timestamp":${sample.timestamp},"node":${JSON.stringify(sample.device)},"group":${JSON.stringify(sample.group.name)}`;
}

interface Parts {
  /** `{tag: value}` and `{tag: code}` bodies, without their braces. */
  values: string;
  errors: string;
  /** `tags` entries, without the brackets. */
  tags: string;
}

/** One pass over the tags the sample carries, writing the parts asked for. */
function write(sample: GroupSample, maps: boolean, entries: boolean): Parts {
  const names = namesOf(sample.group);
  const { values, errors, changed } = sample;
  const out: Parts = { values: '', errors: '', tags: '' };
  const n = changed ? changed.length : names.length;
  for (let k = 0; k < n; k++) {
    const i = changed ? changed[k]! : k;
    const name = names[i]!;
    const error = errors.size > 0 ? errors.get(i) : undefined;
    if (error !== undefined) {
      if (maps) out.errors += `${out.errors === '' ? '' : ','}${name}:${error}`;
      if (entries) out.tags += `${out.tags === '' ? '' : ','}{"name":${name},"error":${error}}`;
      continue;
    }
    const value = values[i];
    if (value === undefined) continue;
    const json = valueJson(value);
    if (maps) out.values += `${out.values === '' ? '' : ','}${name}:${json}`;
    if (entries) out.tags += `${out.tags === '' ? '' : ','}{"name":${name},"value":${json}}`;
  }
  return out;
}

/** The parts of Neuron's payloads as JSON text, for templates: `{tag: value}`, `{tag: code}` and the `tags` array. */
export function neuronParts(sample: GroupSample): { values: string; errors: string; tags: string } {
  const p = write(sample, true, true);
  return { values: `{${p.values}}`, errors: `{${p.errors}}`, tags: `[${p.tags}]` };
}

/** Neuron's `values` payload: tags with a value in `values`, failed tags with their error in `errors`. */
export function neuronValuesJson(sample: GroupSample): string {
  const p = write(sample, true, false);
  return `${header(sample)},"values":{${p.values}},"errors":{${p.errors}},"metas":{}}`;
}

/** Neuron's `tags` payload: one entry per tag, `{name, value}` or `{name, error}`. */
export function neuronTagsJson(sample: GroupSample): string {
  return `${header(sample)},"tags":[${write(sample, false, true).tags}]}`;
}
