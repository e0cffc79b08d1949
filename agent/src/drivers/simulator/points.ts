import type { SimulatorAddress, TagType, TagValue } from '@edgefleet/protocol';

/** One simulated point: produces a raw number each poll (or holds a written value). */
export interface SimPoint {
  read(nowMs: number): TagValue;
}

export interface WritableSimPoint extends SimPoint {
  write(value: TagValue): void;
}

export function isWritablePoint(p: SimPoint): p is WritableSimPoint {
  return typeof (p as Partial<WritableSimPoint>).write === 'function';
}

/** mulberry32: tiny, fast and deterministic, so a seeded simulator repeats its sequence. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** 32-bit FNV-1a, to give each tag its own random stream from one device seed. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const p = (params: Record<string, number>, key: string): number => params[key] ?? 0;

export function createPoint(address: SimulatorAddress, random: () => number): SimPoint {
  const { params } = address;
  switch (address.fn) {
    case 'sine': {
      // phase is in degrees; time comes from the wall clock so every agent's wave lines up.
      const phase = (p(params, 'phase') * Math.PI) / 180;
      return { read: (now) => p(params, 'amplitude') * Math.sin((2 * Math.PI * now) / p(params, 'period') + phase) + p(params, 'offset') };
    }
    case 'ramp': {
      const min = p(params, 'min');
      const max = p(params, 'max');
      const step = p(params, 'step');
      let next = min;
      return {
        read: () => {
          const value = next;
          next += step;
          if (next > max) next = min;
          else if (next < min) next = max;
          return value;
        },
      };
    }
    case 'random': {
      const min = p(params, 'min');
      const max = p(params, 'max');
      return { read: () => min + random() * (max - min) };
    }
    case 'counter': {
      let next = p(params, 'start');
      const step = p(params, 'step');
      return {
        read: () => {
          const value = next;
          next += step;
          return value;
        },
      };
    }
    case 'memory': {
      let held: TagValue = p(params, 'initial');
      const point: WritableSimPoint = {
        read: () => held,
        write: (value: TagValue) => {
          held = value;
        },
      };
      return point;
    }
  }
}

const INT_RANGES: Partial<Record<TagType, [number, number]>> = {
  int16: [-32_768, 32_767],
  uint16: [0, 65_535],
  int32: [-2_147_483_648, 2_147_483_647],
  uint32: [0, 4_294_967_295],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  uint64: [0, Number.MAX_SAFE_INTEGER],
};

/**
 * Shapes a simulated number into the tag's type: bool → value > 0 as true/false, bit → 0/1 (as
 * Neuron's BIT and the Modbus driver), integers rounded and clamped.
 */
export function coerceToType(type: TagType, value: TagValue): TagValue {
  if (type === 'bool' || type === 'bit') {
    const on = typeof value === 'number' ? value > 0 : Boolean(value);
    return type === 'bit' ? (on ? 1 : 0) : on;
  }
  if (typeof value !== 'number') return value;
  if (type === 'float32') return Math.fround(value);
  const range = INT_RANGES[type];
  if (range) return Math.min(range[1], Math.max(range[0], Math.round(value)));
  return value;
}
