import { z } from 'zod';
import type { TagType } from './tag.js';

/**
 * Simulator tag addresses: a function and optional parameters, e.g.
 *   `sine`                      sine wave, amplitude 1, period 60 s, offset 0
 *   `sine(amplitude=10, period=5000, offset=20)`  period in ms
 *   `ramp(min=0, max=100, step=1)`   rises by `step` each poll, wraps to `min` after `max`
 *   `random(min=0, max=1)`
 *   `counter(start=0, step=1)`
 *   `memory(initial=0)`         a writable point: holds the last value written (`access: rw`)
 */
export const SIMULATOR_FUNCTIONS = {
  sine: { amplitude: 1, period: 60_000, offset: 0, phase: 0 },
  ramp: { min: 0, max: 100, step: 1 },
  random: { min: 0, max: 1 },
  counter: { start: 0, step: 1 },
  memory: { initial: 0 },
} as const;

export type SimulatorFunction = keyof typeof SIMULATOR_FUNCTIONS;
export interface SimulatorAddress {
  fn: SimulatorFunction;
  params: Record<string, number>;
}

const ADDRESS_RE = /^\s*([a-z]+)\s*(?:\((.*)\))?\s*$/;

export type SimulatorAddressResult = { ok: true; value: SimulatorAddress } | { ok: false; message: string };

export function parseSimulatorAddress(address: string): SimulatorAddressResult {
  const m = ADDRESS_RE.exec(address);
  if (!m) return { ok: false, message: `'${address}' is not a simulator function such as 'sine(period=5000)'` };
  const fn = m[1] as string;
  if (!Object.prototype.hasOwnProperty.call(SIMULATOR_FUNCTIONS, fn)) {
    return { ok: false, message: `unknown simulator function '${fn}'; use one of ${Object.keys(SIMULATOR_FUNCTIONS).join(', ')}` };
  }
  const defaults = SIMULATOR_FUNCTIONS[fn as SimulatorFunction] as Record<string, number>;
  const params: Record<string, number> = { ...defaults };
  const body = (m[2] ?? '').trim();
  if (body !== '') {
    for (const part of body.split(',')) {
      const kv = /^\s*([a-zA-Z]+)\s*=\s*(-?\d+(?:\.\d+)?(?:e-?\d+)?)\s*$/.exec(part);
      if (!kv) return { ok: false, message: `'${part.trim()}' is not a parameter like 'name=number'` };
      const key = kv[1] as string;
      if (!(key in defaults)) {
        return { ok: false, message: `'${fn}' has no parameter '${key}'; it takes ${Object.keys(defaults).join(', ')}` };
      }
      params[key] = Number(kv[2]);
    }
  }
  if (fn === 'sine' && (params.period ?? 0) <= 0) return { ok: false, message: 'sine period must be more than 0 ms' };
  if ((fn === 'ramp' || fn === 'random') && (params.max as number) <= (params.min as number)) {
    return { ok: false, message: `${fn} max must be more than min` };
  }
  return { ok: true, value: { fn: fn as SimulatorFunction, params } };
}

/** Only `memory` points can be written; every function produces numbers except where the type says otherwise. */
export function checkSimulatorTag(address: SimulatorAddress, type: TagType, access: 'r' | 'rw'): string | undefined {
  if (access === 'rw' && address.fn !== 'memory') return `only memory(...) points are writable, not ${address.fn}`;
  if (type === 'string' || type === 'bytes') {
    if (address.fn !== 'memory') return `${address.fn} produces numbers; use a numeric or bool type`;
  }
  return undefined;
}

export const SimulatorSettingsSchema = z
  .object({
    /** Seed for `random`, so two agents with the same config produce the same sequence. */
    seed: z.number().int().min(0).optional(),
  })
  .strict()
  .default({});
