import { INTEGER_TAG_RANGES, type Tag, type TagValue } from '@edgefleet/protocol';
import { unscaleValue } from '../drivers/scaling.js';
import { invalidArgument, type CommandError } from './command-error.js';
function refuse(tag: Tag, why: string): CommandError {
  return invalidArgument('value', `tag '${tag.name}' is ${tag.type}; ${why}`);
}

/**
 * Turns a value written in engineering units into the raw value the driver writes, refusing one
 * that does not fit the tag's type before anything is sent to the device. The tag's scale and
 * offset are undone first; an integer tag then takes the nearest whole number (a scale such as
 * 0.1 leaves float noise: 2.5 / 0.1 = 24.999…) and must be in the type's range. 64-bit integers
 * beyond ±2^53 may be given as decimal strings, as values are published.
 */
export function rawWriteValue(tag: Tag, value: TagValue): TagValue {
  switch (tag.type) {
    case 'bool':
    case 'bit':
      if (typeof value === 'boolean') return value;
      if (value === 0 || value === 1) return value === 1;
      throw refuse(tag, 'write true or false (or 1 or 0)');
    case 'string':
      if (typeof value !== 'string') throw refuse(tag, 'write a string');
      return value;
    case 'bytes':
      if (!Array.isArray(value)) throw refuse(tag, 'write an array of octets (0–255)');
      return value;
    case 'float32':
    case 'float64': {
      if (typeof value !== 'number' || !Number.isFinite(value)) throw refuse(tag, 'write a finite number');
      const raw = unscaleValue(tag, value) as number;
      if (tag.type === 'float32' && Math.abs(raw) > 3.4028234663852886e38) throw refuse(tag, `${raw} does not fit a 32-bit float`);
      return raw;
    }
    default:
      return rawInteger(tag, value);
  }
}

function rawInteger(tag: Tag, value: TagValue): TagValue {
  const range = INTEGER_TAG_RANGES[tag.type];
  if (!range) throw refuse(tag, 'it cannot be written');
  let raw: bigint;
  if (typeof value === 'number' && Number.isFinite(value)) {
    const unscaled = unscaleValue(tag, value) as number;
    raw = BigInt(Math.round(unscaled));
  } else if (typeof value === 'string' && /^-?\d{1,20}$/.test(value)) {
    if (tag.scale !== undefined || tag.offset !== undefined) throw refuse(tag, 'a scaled tag takes a number, not a string');
    raw = BigInt(value);
  } else {
    throw refuse(tag, 'write a whole number');
  }
  const [min, max] = range;
  if (raw < min || raw > max) throw refuse(tag, `the raw value ${raw} is outside ${min}…${max}`);
  // Beyond ±2^53 a number would lose digits: keep the decimal string.
  return raw >= BigInt(Number.MIN_SAFE_INTEGER) && raw <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(raw) : raw.toString();
}
