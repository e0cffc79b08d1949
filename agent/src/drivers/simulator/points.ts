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

// Points are small classes rather than closures: a 100-device × 1,000-tag simulator holds
// 100,000 of them, and a closure with its contexts costs ≈ 150 bytes where these cost ≈ 40.

class SinePoint implements SimPoint {
  private readonly amplitude: number;
  private readonly period: number;
  private readonly offset: number;
  private readonly phase: number;
  constructor(params: Record<string, number>) {
    this.amplitude = p(params, 'amplitude');
    this.period = p(params, 'period');
    this.offset = p(params, 'offset');
    // phase is in degrees; time comes from the wall clock so every agent's wave lines up.
    this.phase = (p(params, 'phase') * Math.PI) / 180;
  }
  read(now: number): TagValue {
    return this.amplitude * Math.sin((2 * Math.PI * now) / this.period + this.phase) + this.offset;
  }
}

class RampPoint implements SimPoint {
  private readonly min: number;
  private readonly max: number;
  private readonly step: number;
  private next: number;
  constructor(params: Record<string, number>) {
    this.min = p(params, 'min');
    this.max = p(params, 'max');
    this.step = p(params, 'step');
    this.next = this.min;
  }
  read(): TagValue {
    const value = this.next;
    this.next += this.step;
    if (this.next > this.max) this.next = this.min;
    else if (this.next < this.min) this.next = this.max;
    return value;
  }
}

class RandomPoint implements SimPoint {
  private readonly min: number;
  private readonly max: number;
  constructor(
    params: Record<string, number>,
    private readonly random: () => number,
  ) {
    this.min = p(params, 'min');
    this.max = p(params, 'max');
  }
  read(): TagValue {
    return this.min + this.random() * (this.max - this.min);
  }
}

class CounterPoint implements SimPoint {
  private next: number;
  private readonly step: number;
  constructor(params: Record<string, number>) {
    this.next = p(params, 'start');
    this.step = p(params, 'step');
  }
  read(): TagValue {
    const value = this.next;
    this.next += this.step;
    return value;
  }
}

class MemoryPoint implements WritableSimPoint {
  private held: TagValue;
  constructor(params: Record<string, number>) {
    this.held = p(params, 'initial');
  }
  read(): TagValue {
    return this.held;
  }
  write(value: TagValue): void {
    this.held = value;
  }
}

export function createPoint(address: SimulatorAddress, random: () => number): SimPoint {
  const { params } = address;
  switch (address.fn) {
    case 'sine':
      return new SinePoint(params);
    case 'ramp':
      return new RampPoint(params);
    case 'random':
      return new RandomPoint(params, random);
    case 'counter':
      return new CounterPoint(params);
    case 'memory':
      return new MemoryPoint(params);
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
