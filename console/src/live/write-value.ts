import { INTEGER_TAG_RANGES, type TagValue } from '@edgefleet/protocol/browser';
import type { TagInfo } from './catalog';

export type ParsedWrite = { ok: true; value: TagValue } | { ok: false; message: string };

const FLOAT32_MAX = 3.4028234663852886e38;
const DECIMAL = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const WHOLE = /^[-+]?\d+$/;

/**
 * The value typed for a tag, checked as the agent will check it (`rawWriteValue`): the value is
 * in engineering units, so a scaled tag's raw value ((value − offset) / scale) must fit its type.
 * Checking here gives the message before anything is sent. Bool and bit values come from a
 * switch and are given as booleans.
 */
export function parseWriteValue(info: TagInfo, input: string | boolean): ParsedWrite {
  if (info.type === 'bool' || info.type === 'bit') {
    if (typeof input !== 'boolean') return { ok: false, message: `${info.type} takes on or off` };
    // A bit is published as 1/0 and a bool as true/false: write it the way it is read.
    return { ok: true, value: info.type === 'bit' ? (input ? 1 : 0) : input };
  }
  if (typeof input === 'boolean') return { ok: false, message: `${info.type} does not take on/off` };
  if (info.type === 'string') return { ok: true, value: input };
  const text = input.trim();
  if (info.type === 'bytes') return parseBytes(text);
  if (text === '') return { ok: false, message: 'Enter a value' };
  if (/^[-+]?\d*,\d+$/.test(text)) return { ok: false, message: 'Use a point as the decimal separator (12.5, not 12,5)' };

  const scaled = info.scale !== undefined || info.offset !== undefined;
  const unscale = (v: number) => (v - (info.offset ?? 0)) / (info.scale ?? 1);

  if (info.type === 'float32' || info.type === 'float64') {
    if (!DECIMAL.test(text)) return { ok: false, message: `${info.type} takes a number, such as 12.5 or -3` };
    const value = Number(text);
    if (!Number.isFinite(value)) return { ok: false, message: 'The number is too large' };
    if (info.type === 'float32' && Math.abs(unscale(value)) > FLOAT32_MAX) return { ok: false, message: `${text} does not fit a 32-bit float` };
    return { ok: true, value };
  }

  const range = INTEGER_TAG_RANGES[info.type];
  if (!range) return { ok: false, message: `A ${info.type} tag cannot be written from here` };
  const [min, max] = range;
  const rangeText = `${min} to ${max}`;
  if (!scaled) {
    if (!WHOLE.test(text)) return { ok: false, message: `${info.type} takes a whole number from ${rangeText}` };
    const raw = BigInt(text.replace(/^\+/, ''));
    if (raw < min || raw > max) return { ok: false, message: `${text} is outside ${rangeText}, the range of ${info.type}` };
    // Beyond ±2^53 a number would lose digits: the API takes those as decimal strings.
    return { ok: true, value: raw >= BigInt(Number.MIN_SAFE_INTEGER) && raw <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(raw) : raw.toString() };
  }
  if (!DECIMAL.test(text)) return { ok: false, message: `Enter a number in ${info.unit ? info.unit : 'engineering units'}, such as 12.5` };
  const value = Number(text);
  const raw = Math.round(unscale(value));
  if (!Number.isFinite(raw) || BigInt(raw) < min || BigInt(raw) > max) {
    return { ok: false, message: `${text} is the raw value ${Number.isFinite(raw) ? raw : 'out of range'} (scale ${info.scale ?? 1}, offset ${info.offset ?? 0}), outside ${rangeText} for ${info.type}` };
  }
  return { ok: true, value };
}

function parseBytes(text: string): ParsedWrite {
  if (text === '') return { ok: true, value: [] };
  const parts = text.split(/[\s,]+/).filter(Boolean);
  const octets: number[] = [];
  for (const part of parts) {
    const n = /^0x[0-9a-f]{1,2}$/i.test(part) ? parseInt(part.slice(2), 16) : /^\d{1,3}$/.test(part) ? Number(part) : NaN;
    if (!Number.isInteger(n) || n < 0 || n > 255) return { ok: false, message: `'${part}' is not an octet: give numbers 0–255 or 0x00–0xFF, separated by spaces or commas` };
    octets.push(n);
  }
  return { ok: true, value: octets };
}

/** What to put in the input when the dialog opens: the current value, as it would be typed. */
export function initialInput(info: TagInfo, current: TagValue | undefined): string | boolean {
  if (info.type === 'bool' || info.type === 'bit') return current === true || current === 1;
  if (current === undefined) return '';
  if (Array.isArray(current)) return current.join(' ');
  if (typeof current === 'boolean') return current ? 'true' : 'false';
  return String(current);
}
