import { TagErrorNumber, type TagValue } from '@edgefleet/protocol/browser';
import type { TagInfo } from './catalog';

type TagErrorName = keyof typeof TagErrorNumber;

/** What each per-tag error number means, in the words a plant engineer reads. */
const TAG_ERROR_TEXT: Record<TagErrorName, { label: string; meaning: string }> = {
  VALUE_EXPIRED: { label: 'Value expired', meaning: 'The value is older than its group allows; the device has not delivered a fresh one.' },
  DEVICE_NO_RESPONSE: { label: 'No response', meaning: 'The device did not answer: check that it is powered, connected and reachable.' },
  READ_FAILURE: { label: 'Read failed', meaning: 'The address could not be read: the device refused it or answered with an error.' },
};

const BY_NUMBER = new Map<number, { name: TagErrorName; label: string; meaning: string }>(
  (Object.keys(TagErrorNumber) as TagErrorName[]).map((name) => [TagErrorNumber[name], { name, ...TAG_ERROR_TEXT[name] }]),
);

export interface TagErrorDescription {
  code: number;
  /** `No response`. */
  label: string;
  /** A sentence saying what happened. */
  meaning: string;
}

/** A per-tag error number (Neuron-compatible, see `TagErrorNumber`) in words. */
export function describeTagError(code: number): TagErrorDescription {
  const known = BY_NUMBER.get(code);
  if (known) return { code, label: known.label, meaning: known.meaning };
  return { code, label: `Error ${code}`, meaning: `The agent reported error ${code} for this tag; its log has the details.` };
}

/**
 * With the tag's precision, always that many decimals (a column of 21.5, 23.0, 22.8 lines up);
 * otherwise the digits the value has, at most six after the point.
 */
function formatNumber(value: number, info: TagInfo | null): string {
  if (!Number.isFinite(value)) return String(value);
  if (info?.precision !== undefined) return value.toFixed(info.precision);
  if (Number.isInteger(value)) return String(value);
  return String(Number(value.toFixed(6)));
}

/** A tag's value as the table shows it: by its type, with its unit. */
export function formatTagValue(value: TagValue, info: TagInfo | null): string {
  const unit = info?.unit ? ` ${info.unit}` : '';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return `${formatNumber(value, info)}${unit}`;
  if (Array.isArray(value)) return value.length === 0 ? '(no bytes)' : value.map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join(' ');
  // A 64-bit integer beyond ±2^53 comes as a decimal string: it is a number, with the unit.
  if (info && info.type !== 'string' && /^-?\d+$/.test(value)) return `${value}${unit}`;
  return value;
}

/** `int16 · × 0.1 − 40`: the tag's type, and its scaling when it has one. */
export function describeTagType(info: TagInfo): string {
  const parts: string[] = [info.type];
  const scaling: string[] = [];
  if (info.scale !== undefined && info.scale !== 1) scaling.push(`× ${info.scale}`);
  if (info.offset !== undefined && info.offset !== 0) scaling.push(info.offset < 0 ? `− ${-info.offset}` : `+ ${info.offset}`);
  if (scaling.length > 0) parts.push(scaling.join(' '));
  return parts.join(' · ');
}
