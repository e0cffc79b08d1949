import type { Tag, TagValue } from '@edgefleet/protocol';

/**
 * Published value = raw × scale + offset (Neuron's decimal and bias), then rounded to
 * `precision` decimal places. Non-numbers pass through untouched.
 */
export function scaleValue(tag: Tag, raw: TagValue): TagValue {
  if (typeof raw !== 'number') return raw;
  let value = raw;
  if (tag.scale !== undefined) value *= tag.scale;
  if (tag.offset !== undefined) value += tag.offset;
  if (tag.precision !== undefined) value = roundTo(value, tag.precision);
  return value;
}

/** A write divides back: raw = (value − offset) / scale. */
export function unscaleValue(tag: Tag, value: TagValue): TagValue {
  if (typeof value !== 'number') return value;
  let raw = value;
  if (tag.offset !== undefined) raw -= tag.offset;
  if (tag.scale !== undefined) raw /= tag.scale;
  return raw;
}

function roundTo(value: number, digits: number): number {
  if (!Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
