import { describe, expect, it } from 'vitest';
import type { TagType } from '@edgefleet/protocol';
import { PlanMemory, planReads, slotData, type PlanLimits, type ReadPlan } from './planner.js';
import { resolvePoint, type ModbusPoint } from './point.js';

const SETTINGS = { addressBase: 1 as const, order16: 'AB' as const, order32: 'ABCD' as const, order64: 'ABCDEFGH' as const };
const LIMITS: PlanLimits = { maxRegistersPerRequest: 125, maxBitsPerRequest: 2000, maxGapRegisters: 10, maxGapBits: 160 };

let n = 0;
function pt(address: string, type: TagType = 'uint16'): ModbusPoint {
  const r = resolvePoint({ name: `t${n++}`, address, type, access: 'r' }, SETTINGS);
  if (!r.ok) throw new Error(r.message);
  return r.point;
}
/** Holding registers of slave 1 by zero-based address. */
const hr = (offset: number, type: TagType = 'uint16') => pt(`1!4${String(offset + 1).padStart(5, '0')}`, type);

const shape = (plan: ReadPlan) => plan.blocks.map((b) => `${b.slave}/${b.area}@${b.start}+${b.count}`);

describe('planReads', () => {
  it('merges contiguous tags into one read', () => {
    const plan = planReads([hr(0), hr(1), hr(2, 'float32'), hr(4, 'int64')], LIMITS);
    expect(shape(plan)).toEqual(['1/4@0+8']);
    expect(plan.blocks[0]!.gaps).toEqual([]);
    expect(plan.slots.every((s) => s.blocks.length === 1 && s.blocks[0] === 0)).toBe(true);
  });

  it('sorts unsorted tags and keeps slaves and areas apart, in order', () => {
    const plan = planReads([pt('2!400005'), pt('1!300001'), hr(3), pt('1!000001', 'bool'), hr(0), pt('1!100001', 'bool')], LIMITS);
    expect(shape(plan)).toEqual(['1/0@0+1', '1/1@0+1', '1/3@0+1', '1/4@0+4', '2/4@4+1']);
  });

  it('bridges a gap up to maxGapRegisters, and no further', () => {
    expect(shape(planReads([hr(0), hr(11)], LIMITS))).toEqual(['1/4@0+12']);
    const bridged = planReads([hr(0), hr(11)], LIMITS);
    expect(bridged.blocks[0]!.gaps).toEqual([[1, 11]]);
    expect(shape(planReads([hr(0), hr(12)], LIMITS))).toEqual(['1/4@0+1', '1/4@12+1']);
  });

  it('with maxGapRegisters 0 merges only contiguous or overlapping tags', () => {
    const limits = { ...LIMITS, maxGapRegisters: 0 };
    expect(shape(planReads([hr(0), hr(1), hr(3), hr(4, 'int32'), hr(5)], limits))).toEqual(['1/4@0+2', '1/4@3+3']);
  });

  it('never exceeds maxRegistersPerRequest', () => {
    const points = Array.from({ length: 300 }, (_, i) => hr(i));
    expect(shape(planReads(points, LIMITS))).toEqual(['1/4@0+125', '1/4@125+125', '1/4@250+50']);
    expect(shape(planReads(points, { ...LIMITS, maxRegistersPerRequest: 100 }))).toEqual(['1/4@0+100', '1/4@100+100', '1/4@200+100']);
  });

  it('does not split a tag at a request boundary when it fits in the next one', () => {
    // 0..123 are uint16; a float32 at 124 would end at 126 > 125.
    const points = [...Array.from({ length: 124 }, (_, i) => hr(i)), hr(124, 'float32')];
    const plan = planReads(points, LIMITS);
    expect(shape(plan)).toEqual(['1/4@0+124', '1/4@124+2']);
  });

  it('reads overlapping tags once: a register as int32, its halves, and its bits', () => {
    const points = [hr(10, 'int32'), hr(10), hr(11), pt('1!400011.3', 'bit'), pt('1!400012.15', 'bool')];
    const plan = planReads(points, LIMITS);
    expect(shape(plan)).toEqual(['1/4@10+2']);
    expect(plan.slots.map((s) => s.blocks)).toEqual([[0], [0], [0], [0], [0]]);
  });

  it('plans coils and discrete inputs in bits, with their own limits', () => {
    const coils = Array.from({ length: 30 }, (_, i) => pt(`1!0${String(i * 100 + 1).padStart(5, '0')}`, 'bool'));
    // 100 bits apart: bridged with the default 160-bit gap.
    expect(shape(planReads(coils, LIMITS))).toEqual(['1/0@0+1901', '1/0@2000+901']);
    expect(planReads(coils, { ...LIMITS, maxGapBits: 50 }).blocks).toHaveLength(30);
    expect(shape(planReads(coils.slice(0, 5), { ...LIMITS, maxBitsPerRequest: 250 }))).toEqual(['1/0@0+201', '1/0@300+101']);
  });

  it('splits a tag longer than one request over several reads and reassembles it', () => {
    const str = hr(5, 'uint16');
    const long = pt('1!400011.40H', 'string'); // 20 registers at 10..29
    const limits = { ...LIMITS, maxRegistersPerRequest: 8 };
    const plan = planReads([str, long, hr(30)], limits);
    expect(shape(plan)).toEqual(['1/4@5+8', '1/4@13+8', '1/4@21+8', '1/4@29+2']);
    expect(plan.slots[1]!.blocks).toEqual([0, 1, 2, 3]);
    const data = plan.blocks.map((b) => Array.from({ length: b.count }, (_, i) => b.start + i));
    expect(slotData(plan, 1, data)).toEqual(Array.from({ length: 20 }, (_, i) => 10 + i));
    expect(slotData(plan, 2, data)).toEqual([30]);
    expect(slotData(plan, 1, [data[0], undefined, data[2], data[3]])).toBeUndefined();
  });

  it('fewest requests for a typical sheet: 100 tags spread over 400 registers', () => {
    const points = Array.from({ length: 100 }, (_, i) => hr(i * 4, i % 2 ? 'float32' : 'uint16'));
    expect(planReads(points, LIMITS).blocks).toHaveLength(4);
    expect(planReads(points, { ...LIMITS, maxGapRegisters: 0 }).blocks).toHaveLength(100);
  });
});

describe('PlanMemory', () => {
  it('never bridges a gap the device refused, and still bridges others', () => {
    const memory = new PlanMemory();
    const points = [hr(0), hr(5), hr(10)];
    expect(shape(planReads(points, LIMITS, memory))).toEqual(['1/4@0+11']);
    memory.forbid(1, 4, 6, 10);
    expect(shape(planReads(points, LIMITS, memory))).toEqual(['1/4@0+6', '1/4@10+1']);
    expect(memory.version).toBe(1);
    memory.forbid(1, 4, 7, 9); // already covered
    expect(memory.version).toBe(1);
  });

  it('reads a tag whose own registers are refused alone, so it cannot spoil its neighbours', () => {
    const memory = new PlanMemory();
    memory.forbid(1, 4, 2, 4);
    const bad = hr(2, 'float32');
    const twin = hr(2, 'float32');
    const plan = planReads([hr(0), hr(1), bad, twin, hr(4), hr(5)], LIMITS, memory);
    expect(shape(plan)).toEqual(['1/4@0+2', '1/4@2+2', '1/4@4+2']);
    expect(plan.slots[2]!.blocks).toEqual(plan.slots[3]!.blocks);
    // Other slaves and areas are not affected.
    expect(shape(planReads([pt('2!400001'), pt('2!400004')], LIMITS, memory))).toEqual(['2/4@0+4']);
    expect(memory.describe()).toEqual(['1/4:2-4']);
  });
});
