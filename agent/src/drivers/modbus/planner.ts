import type { ModbusArea } from '@edgefleet/protocol';
import { isBitArea, type ModbusPoint } from './point.js';

/**
 * Request planning (coalescing): the tags of a group, per slave and area, sorted by address and
 * merged into the fewest reads the function code allows. Unused registers (or bits) between two
 * tags are read along with them when the gap is at most `maxGap…`, because one longer read costs
 * far less than a second round trip.
 *
 * Some devices refuse a read that touches an address they do not have (exception 2). The driver
 * then records the offending stretch in a `PlanMemory`, and every later plan keeps off it: a
 * bridged gap that failed is never bridged again, and a tag whose own registers fail is read on
 * its own so it cannot spoil its neighbours.
 */

export interface PlanLimits {
  maxRegistersPerRequest: number;
  maxBitsPerRequest: number;
  maxGapRegisters: number;
  maxGapBits: number;
}

export interface ReadBlock {
  slave: number;
  area: ModbusArea;
  /** Zero-based first address. */
  start: number;
  count: number;
  /** Stretches `[from, to)` read only to join two tags into one request. */
  gaps: Array<[number, number]>;
  /** Indices into `ReadPlan.slots` of the tags this block carries (wholly or in part). */
  slots: number[];
}

export interface PointSlot {
  point: ModbusPoint;
  /** Indices into `ReadPlan.blocks`, in address order: more than one only for a tag longer than one request allows. */
  blocks: readonly number[];
}

export interface ReadPlan {
  blocks: ReadBlock[];
  slots: PointSlot[];
}

/** What a device taught the driver about addresses it refuses, for the driver's life. */
export class PlanMemory {
  private readonly forbidden = new Map<string, Array<[number, number]>>();
  /** Bumped on every change, so cached plans know they are stale. */
  version = 0;

  /** Marks `[from, to)` of a slave's area as refused: never bridged, and tags in it read alone. */
  forbid(slave: number, area: ModbusArea, from: number, to: number): void {
    const key = `${slave}/${area}`;
    const list = this.forbidden.get(key) ?? [];
    if (list.some(([a, b]) => a <= from && b >= to)) return;
    list.push([from, to]);
    this.forbidden.set(key, list);
    this.version++;
  }

  /** Whether any refused stretch intersects `[from, to)`. */
  touchesForbidden(slave: number, area: ModbusArea, from: number, to: number): boolean {
    const list = this.forbidden.get(`${slave}/${area}`);
    return list !== undefined && list.some(([a, b]) => a < to && b > from);
  }

  /** For reports: the refused stretches, as `slave/area:from-to` (zero-based, end exclusive). */
  describe(): string[] {
    return [...this.forbidden.entries()].flatMap(([key, list]) => list.map(([a, b]) => `${key}:${a}-${b}`));
  }
}

const NO_MEMORY = new PlanMemory();
/** Placeholder until a slot is attached (every slot is). */
const NO_BLOCKS: readonly number[] = [];

/** Plans the reads of a set of points. Blocks come out ordered by slave, area and address. */
export function planReads(points: readonly ModbusPoint[], limits: PlanLimits, memory: PlanMemory = NO_MEMORY): ReadPlan {
  const plan: ReadPlan = { blocks: [], slots: points.map((point) => ({ point, blocks: NO_BLOCKS })) };
  const order = plan.slots.map((_, i) => i);
  order.sort((a, b) => {
    const p = plan.slots[a]!.point;
    const q = plan.slots[b]!.point;
    return p.slave - q.slave || p.area - q.area || p.offset - q.offset || q.span - p.span;
  });
  let runStart = 0;
  for (let i = 1; i <= order.length; i++) {
    const prev = plan.slots[order[i - 1]!]!.point;
    const next = i < order.length ? plan.slots[order[i]!]!.point : undefined;
    if (next && next.slave === prev.slave && next.area === prev.area) continue;
    planRun(plan, order.slice(runStart, i), limits, memory);
    runStart = i;
  }
  return plan;
}

/** Plans one slave's area: `run` holds slot indices sorted by address. */
function planRun(plan: ReadPlan, run: number[], limits: PlanLimits, memory: PlanMemory): void {
  const first = plan.slots[run[0]!]!.point;
  const { slave, area } = first;
  const bits = isBitArea(area);
  const limit = bits ? limits.maxBitsPerRequest : limits.maxRegistersPerRequest;
  const maxGap = bits ? limits.maxGapBits : limits.maxGapRegisters;
  let cur: ReadBlock | undefined;
  let curIndex = -1;
  /** The `[b]` arrays of slots carried by one block, shared by all its slots (they are never mutated). */
  let single: number[] | undefined;
  const only = (b: number): number[] => {
    if (single?.[0] !== b) single = [b];
    return single;
  };

  const open = (start: number, end: number): number => {
    const block: ReadBlock = { slave, area, start, count: end - start, gaps: [], slots: [] };
    plan.blocks.push(block);
    return plan.blocks.length - 1;
  };
  const attach = (slot: number, blocks: number[]): void => {
    plan.slots[slot]!.blocks = blocks;
    for (const b of blocks) plan.blocks[b]!.slots.push(slot);
  };
  /** Blocks for `[from, to)` in chunks of at most `limit`; the last one is returned as open for joining. */
  const chunks = (from: number, to: number, into: number[]): void => {
    let x = from;
    while (to - x > limit) {
      into.push(open(x, x + limit));
      x += limit;
    }
    curIndex = open(x, to);
    cur = plan.blocks[curIndex]!;
    into.push(curIndex);
  };

  for (const slot of run) {
    const p = plan.slots[slot]!.point;
    const ps = p.offset;
    const pe = p.offset + p.span;
    if (memory.touchesForbidden(slave, area, ps, pe)) {
      // Read alone, and let nothing join it: its registers are known to be refused.
      const blocks: number[] = [];
      const same = cur && cur.start === ps && cur.count === p.span && plan.blocks[curIndex]!.slots.every((s) => samePlace(plan.slots[s]!.point, p));
      if (same) blocks.push(curIndex);
      else chunks(ps, pe, blocks);
      attach(slot, blocks.length === 1 ? only(blocks[0]!) : blocks);
      continue;
    }
    if (cur && memory.touchesForbidden(slave, area, cur.start, cur.start + cur.count)) cur = undefined;
    if (cur) {
      const end = cur.start + cur.count;
      if (pe <= end) {
        attach(slot, only(curIndex));
        continue;
      }
      const gap = ps - end;
      const joinable = gap <= 0 || (gap <= maxGap && !memory.touchesForbidden(slave, area, end, ps));
      if (joinable && pe - cur.start <= limit) {
        if (gap > 0) cur.gaps.push([end, ps]);
        cur.count = pe - cur.start;
        attach(slot, only(curIndex));
        continue;
      }
      if (joinable && p.span > limit && ps < cur.start + limit) {
        // A tag longer than one request: fill this block with its head, chunk the rest.
        if (gap > 0) cur.gaps.push([end, ps]);
        cur.count = limit;
        const blocks = [curIndex];
        chunks(cur.start + limit, pe, blocks);
        attach(slot, blocks);
        continue;
      }
    }
    const blocks: number[] = [];
    chunks(ps, pe, blocks);
    attach(slot, blocks.length === 1 ? only(blocks[0]!) : blocks);
  }
}

function samePlace(a: ModbusPoint, b: ModbusPoint): boolean {
  return a.slave === b.slave && a.area === b.area && a.offset === b.offset && a.span === b.span;
}

/** The words or bits of one slot, gathered from the blocks that carry it; undefined if any block failed. */
export function slotData<T>(plan: ReadPlan, slot: number, data: ReadonlyArray<ArrayLike<T> | undefined>): T[] | undefined {
  const { point, blocks } = plan.slots[slot]!;
  const out: T[] = [];
  for (const b of blocks) {
    const block = plan.blocks[b]!;
    const words = data[b];
    if (!words) return undefined;
    const from = Math.max(point.offset, block.start);
    const to = Math.min(point.offset + point.span, block.start + block.count);
    for (let a = from; a < to; a++) out.push(words[a - block.start]!);
  }
  return out;
}
