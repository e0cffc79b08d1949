import { ErrorCode, TagErrorNumber, type Device, type Group, type LinkState, type ModbusArea, type Tag, type TagValue } from '@edgefleet/protocol';
import { AgentError, errorMessage } from '../../util/errors.js';
import type { Backoff } from '../../util/backoff.js';
import type { DriverContext, GroupRead, WritableDriver } from '../driver.js';
import { bitDecoder, encodeBit, encodeRegisters, wordDecoder, type BitDecoder, type WordDecoder } from './codec.js';
import { describeTarget, loadModbusSerial, modbusSerialConnector, type ConnectionFactory, type ModbusReply, type ModbusTarget } from './connection.js';
import { exceptionName, ILLEGAL_DATA_ADDRESS, isGatewayException, ModbusConnectionError, ModbusExceptionError, ModbusFrameError, ModbusTimeoutError, ModbusValueError } from './errors.js';
import { PlanMemory, planReads, slotData, type PlanLimits, type PointSlot, type ReadBlock, type ReadPlan } from './planner.js';
import { AREA_NAMES, isBitArea, resolvePoint, type ModbusPoint } from './point.js';
import { SlaveHealth } from './slave-health.js';
import { ModbusTransport } from './transport.js';

export type ModbusDevice = Extract<Device, { driver: 'modbus-tcp' | 'modbus-rtu' | 'modbus-rtu-over-tcp' }>;

export interface ModbusDriverOptions {
  /** Replaces the modbus-serial connection (unit tests use an in-memory line). */
  connect?: ConnectionFactory;
  /** Delays between connection attempts. */
  reconnect?: Backoff;
  now?: () => number;
}

/** FC 16 writes at most 123 registers (and FC 15 1968 coils). */
const MAX_WRITE_REGISTERS = 123;
/** How long an exception answer stays in `lastError()` after it was last seen. */
const REFUSAL_MEMORY_MS = 60_000;

interface GroupPlan {
  version: number;
  plan: ReadPlan;
  decoding: Decoding;
  /** Positions of the tags the driver cannot read (a config that skipped validation), with the reason. */
  invalid: Map<number, string>;
  /** The read the group's reads fill, kept from one read to the next (every position is written each time). */
  read: GroupRead;
  /** A read of the group is under way (a second one at the same time gets arrays of its own). */
  reading: boolean;
}

/** What one cycle (one group read) has seen of each slave. */
interface Cycle {
  answered: Set<number>;
  /** Slaves that timed out (or kept answering garbage) in this cycle, with the reason: skipped for the rest of it. */
  silent: Map<number, string>;
}

/**
 * How to get each slot's value out of the blocks' answers, worked out once per plan: the block
 * that carries it, where in that block it starts, and a decoder made for its type and order.
 */
interface Decoding {
  /** The slot's tag position in the group. */
  pos: Int32Array;
  /** Index of the one block carrying the slot; -1 when it takes several (a long string). */
  block: Int32Array;
  /** Offset of the slot's first register (or bit) in that block. */
  at: Int32Array;
  /** 1 for a bit area, 0 for registers. */
  bits: Uint8Array;
  decode: Array<WordDecoder | BitDecoder>;
}

function decodingOf(plan: ReadPlan, positionOf: (slot: number, point: ModbusPoint) => number): Decoding {
  const n = plan.slots.length;
  const d: Decoding = { pos: new Int32Array(n), block: new Int32Array(n), at: new Int32Array(n), bits: new Uint8Array(n), decode: new Array<WordDecoder | BitDecoder>(n) };
  for (let s = 0; s < n; s++) {
    const { point, blocks } = plan.slots[s]!;
    const bits = isBitArea(point.area);
    d.pos[s] = positionOf(s, point);
    d.bits[s] = bits ? 1 : 0;
    d.decode[s] = bits ? bitDecoder(point) : sharedWordDecoder(point);
    if (blocks.length === 1) {
      d.block[s] = blocks[0]!;
      d.at[s] = point.offset - plan.blocks[blocks[0]!]!.start;
    } else d.block[s] = -1;
  }
  return d;
}

/**
 * Decoders depend only on how a tag is read, not on which tag it is: tags alike share one (a
 * device of 1,000 uint16 tags has one decoder rather than 1,000 closures).
 */
const sharedDecoders = new Map<string, WordDecoder>();

function sharedWordDecoder(point: ModbusPoint): WordDecoder {
  const key = `${point.type}/${point.span}/${point.order ?? ''}/${point.bit ?? ''}/${point.length ?? ''}/${point.stringMode}`;
  let decode = sharedDecoders.get(key);
  if (!decode) {
    decode = wordDecoder(point);
    sharedDecoders.set(key, decode);
  }
  return decode;
}

/**
 * A group's plan as kept between reads: its blocks, with the slots' points (over 150 bytes a tag)
 * resolved again from the tags only when a read needs them — a refused block, or a tag spread
 * over several blocks. A plain read decodes from the `Decoding` alone.
 */
function lazySlots(blocks: ReadBlock[], tags: readonly Tag[], settings: ModbusDevice['settings']): ReadPlan {
  let slots: PointSlot[] | undefined;
  return {
    blocks,
    get slots(): PointSlot[] {
      if (!slots) {
        const of: number[][] = tags.map(() => []);
        for (let b = 0; b < blocks.length; b++) for (const s of blocks[b]!.slots) of[s]!.push(b);
        slots = tags.map((tag, s) => {
          const r = resolvePoint(tag, settings);
          if (!r.ok) throw new Error(`tag '${tag.name}' no longer resolves: ${r.message}`);
          return { point: r.point, blocks: of[s]! };
        });
      }
      return slots;
    },
  };
}

type BlockOutcome = { code: number } | { refused: true };

/**
 * Modbus TCP, RTU on a serial line, and RTU framing over TCP: one connection per device, one
 * request at a time, the group's tags coalesced into few reads, silent slaves backed off so they
 * do not stall the others. Values are raw (the runner scales them).
 */
export class ModbusDriver implements WritableDriver {
  readonly kind: ModbusDevice['driver'];
  private readonly target: ModbusTarget;
  private readonly transport: ModbusTransport;
  private readonly health: SlaveHealth;
  private readonly memory = new PlanMemory();
  private readonly limits: PlanLimits;
  private readonly plans = new WeakMap<Group, GroupPlan>();
  private readonly now: () => number;
  private lastRefusal: { message: string; at: number } | undefined;
  private asked: { version: number; slaves: number[] } | undefined;
  private started = false;

  constructor(
    private readonly device: ModbusDevice,
    private readonly context: DriverContext,
    private readonly options: ModbusDriverOptions = {},
  ) {
    this.kind = device.driver;
    this.now = options.now ?? Date.now;
    this.target = device.driver === 'modbus-rtu' ? { kind: device.driver, settings: device.settings } : { kind: device.driver, settings: device.settings };
    const s = device.settings;
    this.limits = { maxRegistersPerRequest: s.maxRegistersPerRequest, maxBitsPerRequest: s.maxBitsPerRequest, maxGapRegisters: s.maxGapRegisters, maxGapBits: s.maxGapBits };
    this.health = new SlaveHealth(s.failuresBeforeBackoff, s.backoffMs, this.now);
    this.transport = new ModbusTransport({
      target: describeTarget(this.target),
      connect: options.connect ?? modbusSerialConnector(this.target),
      timeoutMs: s.timeoutMs,
      retries: s.retries,
      retryIntervalMs: s.retryIntervalMs,
      requestDelayMs: s.requestDelayMs,
      log: context.log.child({ device: device.name, driver: device.driver }),
      ...(options.reconnect ? { reconnect: options.reconnect } : {}),
    });
  }

  /** Loads modbus-serial (the first Modbus device pays for it) and starts connecting in the background. */
  async start(): Promise<void> {
    if (this.started) return;
    if (!this.options.connect) {
      try {
        await loadModbusSerial();
      } catch (err) {
        throw new AgentError(ErrorCode.DRIVER_UNAVAILABLE, `device '${this.device.name}': the Modbus library cannot be loaded: ${errorMessage(err)}`);
      }
    }
    this.started = true;
    this.transport.start();
  }

  async stop(): Promise<void> {
    this.started = false;
    await this.transport.stop();
  }

  async waitConnected(timeoutMs: number): Promise<void> {
    try {
      await this.transport.waitConnected(timeoutMs);
    } catch (err) {
      throw new AgentError(ErrorCode.DEVICE_ERROR, `device '${this.device.name}': ${errorMessage(err)}`);
    }
  }

  link(): LinkState {
    const state = this.transport.state();
    if (state !== 'connected') return state;
    // Connected, but no slave we asked answers: the line (or gateway) is up, the devices are not.
    const failing = this.health.failing();
    return failing.length > 0 && this.askedSlaves().every((s) => failing.includes(s)) ? 'error' : 'connected';
  }

  lastError(): string | null {
    const connection = this.transport.lastError();
    if (connection) return connection;
    const slaves = this.health.problem();
    if (slaves) return slaves;
    if (this.lastRefusal && this.now() - this.lastRefusal.at < REFUSAL_MEMORY_MS) return this.lastRefusal.message;
    return null;
  }

  details(): Record<string, unknown> {
    const { requests, errors, timeouts, lastRoundTripMs } = this.transport.stats;
    const planRequestsPerCycle: Record<string, number> = {};
    for (const group of this.device.groups) planRequestsPerCycle[group.name] = this.planFor(group).plan.blocks.length;
    return {
      requestsPerSecond: this.transport.rate.rate(),
      requests,
      errors,
      timeouts,
      lastRoundTripMs,
      nextConnectAttemptInMs: this.transport.nextAttemptInMs(),
      planRequestsPerCycle,
      backedOffSlaves: this.health.backedOff(),
      refusedRanges: this.memory.describe(),
    };
  }

  /**
   * Reads the group. The arrays of the read are the group's own and are filled again by its
   * next read: a caller that keeps values past that copies them.
   */
  async readGroup(group: Group): Promise<GroupRead> {
    const entry = this.planFor(group);
    if (this.transport.state() !== 'connected') throw this.deviceDown();
    const reuse = !entry.reading;
    const out: GroupRead = reuse ? entry.read : { values: new Array<TagValue | undefined>(group.tags.length), errors: new Map() };
    out.errors.clear();
    for (const [position] of entry.invalid) out.errors.set(position, TagErrorNumber.READ_FAILURE);
    const cycle: Cycle = { answered: new Set(), silent: new Map() };
    if (reuse) entry.reading = true;
    try {
      await this.readPlan(entry.plan, cycle, out, 0, entry.decoding, group);
    } catch (err) {
      if (err instanceof ModbusConnectionError) throw new AgentError(ErrorCode.DEVICE_ERROR, `device '${this.device.name}': ${err.message}`);
      throw err;
    } finally {
      if (reuse) entry.reading = false;
      for (const [slave, reason] of cycle.silent) if (!cycle.answered.has(slave)) this.health.silent(slave, reason);
      for (const slave of cycle.answered) this.health.answered(slave);
    }
    return out;
  }

  async writeTag(_group: Group, tag: Tag, raw: TagValue): Promise<void> {
    const point = this.writablePoint(tag);
    let request: Parameters<ModbusTransport['request']>[1][];
    try {
      if (point.area === 0) {
        request = [{ fc: 5, address: point.offset, value: encodeBit(point, raw) }];
      } else {
        const registers = encodeRegisters(point, raw);
        request = [];
        if (registers.length === 1) request.push({ fc: 6, address: point.offset, value: registers[0]! });
        // A string longer than one FC 16 allows goes in several writes, in address order.
        else for (let i = 0; i < registers.length; i += MAX_WRITE_REGISTERS) request.push({ fc: 16, address: point.offset + i, values: registers.slice(i, i + MAX_WRITE_REGISTERS) });
      }
    } catch (err) {
      if (err instanceof ModbusValueError) throw new AgentError(ErrorCode.VALIDATION_FAILED, err.message);
      throw err;
    }
    if (this.transport.state() !== 'connected') throw this.deviceDown();
    try {
      for (const r of request) await this.transport.request(point.slave, r, true);
      this.health.answered(point.slave);
    } catch (err) {
      if (err instanceof ModbusExceptionError && !isGatewayException(err.code)) this.health.answered(point.slave);
      throw new AgentError(ErrorCode.DEVICE_ERROR, errorMessage(err));
    }
  }

  private deviceDown(): AgentError {
    return new AgentError(ErrorCode.DEVICE_ERROR, `device '${this.device.name}': ${this.transport.lastError() ?? `not connected to ${describeTarget(this.target)}`}`);
  }

  /** The point of a tag for writing, or TAG_NOT_WRITABLE saying why not. */
  private writablePoint(tag: Tag): ModbusPoint {
    if (tag.access !== 'rw') throw new AgentError(ErrorCode.TAG_NOT_WRITABLE, `tag '${tag.name}' is read-only (access 'r')`);
    // Resolve the address as if read-only, to tell "cannot be written" from "is malformed".
    const r = resolvePoint({ ...tag, access: 'r' }, this.device.settings);
    if (!r.ok) throw new AgentError(ErrorCode.TAG_NOT_WRITABLE, r.message);
    const p = r.point;
    const why =
      p.area === 1
        ? 'discrete inputs are read only'
        : p.area === 3
          ? 'input registers are read only; use a holding register (area 4) to write'
          : p.bit !== undefined
            ? 'a bit inside a register is read only (writing it would overwrite the other 15 bits)'
            : undefined;
    if (why) throw new AgentError(ErrorCode.TAG_NOT_WRITABLE, `tag '${tag.name}' (${tag.address}): ${why}`);
    return p;
  }

  /** The group's plan, rebuilt when the device has taught the planner something new. */
  private planFor(group: Group): GroupPlan {
    const cached = this.plans.get(group);
    if (cached && cached.version === this.memory.version) return cached;
    const points: ModbusPoint[] = [];
    const tags: Tag[] = [];
    /** The group position of each point (the plan's slots follow the points' order). */
    const positions: number[] = [];
    const invalid = new Map<number, string>();
    group.tags.forEach((tag, position) => {
      // Resolved afresh for each plan (plans are rebuilt rarely) rather than cached per tag.
      const r = resolvePoint(tag, this.device.settings);
      if (r.ok) {
        points.push(r.point);
        tags.push(tag);
        positions.push(position);
      } else invalid.set(position, r.message);
    });
    const plan = planReads(points, this.limits, this.memory);
    const decoding = decodingOf(plan, (slot) => positions[slot]!);
    const kept = lazySlots(plan.blocks, invalid.size === 0 ? group.tags : tags, this.device.settings);
    const read: GroupRead = { values: new Array<TagValue | undefined>(group.tags.length), errors: new Map() };
    const entry: GroupPlan = { version: this.memory.version, plan: kept, decoding, invalid, read, reading: false };
    this.plans.set(group, entry);
    return entry;
  }

  /** The slaves the device's groups read (cached per plan version: link() is asked often). */
  private askedSlaves(): number[] {
    if (this.asked?.version === this.memory.version) return this.asked.slaves;
    const slaves = new Set<number>();
    for (const group of this.device.groups) for (const b of this.planFor(group).plan.blocks) slaves.add(b.slave);
    this.asked = { version: this.memory.version, slaves: [...slaves] };
    return this.asked.slaves;
  }

  /**
   * Reads every block of a plan and decodes its tags into `out`. A block refused with exception 2
   * is learned from and read again in smaller pieces: first without its bridged gaps, then tag by
   * tag; a tag still refused on its own is a read failure (and read alone from then on).
   * Answers whether every block came back with data.
   */
  private async readPlan(plan: ReadPlan, cycle: Cycle, out: GroupRead, depth: number, decoding: Decoding | undefined, group: Group): Promise<boolean> {
    // A plan made while reading (a refused block read again in pieces) finds its tags by name.
    decoding ??= decodingOf(plan, (_slot, point) => group.tags.findIndex((t) => t.name === point.name));
    let allRead = true;
    const data: Array<boolean[] | number[] | undefined> = new Array(plan.blocks.length);
    const codes: Array<number | undefined> = new Array(plan.blocks.length);
    const handled = new Set<number>();
    for (let b = 0; b < plan.blocks.length; b++) {
      const block = plan.blocks[b]!;
      let outcome: BlockOutcome;
      if (this.health.skipped(block.slave) || cycle.silent.has(block.slave)) outcome = { code: TagErrorNumber.DEVICE_NO_RESPONSE };
      else {
        try {
          const reply = await this.transport.request(block.slave, { fc: READ_FC[block.area], address: block.start, count: block.count });
          cycle.answered.add(block.slave);
          if (reply && reply.length >= block.count) {
            data[b] = reply;
            continue;
          }
          outcome = this.shortAnswer(block, reply);
        } catch (err) {
          outcome = this.failedBlock(block, cycle, err);
        }
      }
      allRead = false;
      if ('code' in outcome) {
        codes[b] = outcome.code;
        continue;
      }
      // Refused (exception 2).
      const slots = block.slots.filter((s) => !handled.has(s));
      const points = slots.map((s) => plan.slots[s]!.point);
      const ranges = new Set(points.map((p) => `${p.offset}+${p.span}`));
      if (depth < 2 && (block.gaps.length > 0 || ranges.size > 1)) {
        this.context.log.info({ device: this.device.name, slave: block.slave, area: AREA_NAMES[block.area], start: block.start, count: block.count }, 'read refused (exception 2); splitting it');
        if (block.gaps.length > 0) {
          for (const [from, to] of block.gaps) this.memory.forbid(block.slave, block.area, from, to);
          await this.readPlan(planReads(points, this.limits, this.memory), cycle, out, depth + 1, undefined, group);
        } else {
          // Contiguous tags refused together: read each alone to find the culprit (it is then
          // avoided). If every one reads fine alone, the device refuses reading across some
          // boundary between them: they are read alone from now on.
          const allRead = await this.readPlan(planAlone(points, this.limits), cycle, out, depth + 1, undefined, group);
          if (allRead) for (const p of points) this.memory.forbid(p.slave, p.area, p.offset, p.offset + p.span);
        }
        for (const s of slots) handled.add(s);
        allRead = false;
        continue;
      }
      for (const p of points) this.memory.forbid(p.slave, p.area, p.offset, p.offset + p.span);
      codes[b] = TagErrorNumber.READ_FAILURE;
    }
    const { pos, block, at, bits, decode } = decoding;
    const { values, errors } = out;
    const anyHandled = handled.size > 0;
    for (let s = 0; s < pos.length; s++) {
      if (anyHandled && handled.has(s)) continue;
      const b = block[s]!;
      const p = pos[s]!;
      let value: TagValue | undefined;
      if (b >= 0) {
        const words = data[b];
        if (words === undefined) {
          errors.set(p, codes[b] ?? TagErrorNumber.READ_FAILURE);
          values[p] = undefined;
          continue;
        }
        value = bits[s] === 1 ? (decode[s] as BitDecoder)(words as boolean[], at[s]!) : (decode[s] as WordDecoder)(words as number[], at[s]!);
      } else {
        // A tag spread over several blocks: gather its words first.
        const code = plan.slots[s]!.blocks.map((i) => codes[i]).find((c) => c !== undefined);
        if (code !== undefined) {
          errors.set(p, code);
          values[p] = undefined;
          continue;
        }
        const words = slotData<number | boolean>(plan, s, data);
        if (words) value = bits[s] === 1 ? (decode[s] as BitDecoder)(words as boolean[], 0) : (decode[s] as WordDecoder)(words as number[], 0);
      }
      if (value === undefined) errors.set(p, TagErrorNumber.READ_FAILURE);
      values[p] = value;
    }
    return allRead;
  }

  /** A read answered with fewer registers (or bits) than asked for. */
  private shortAnswer(block: ReadBlock, reply: ModbusReply): BlockOutcome {
    this.lastRefusal = { message: `slave ${block.slave} answered ${reply?.length ?? 0} of ${block.count} ${AREA_NAMES[block.area]}`, at: this.now() };
    return { code: TagErrorNumber.READ_FAILURE };
  }

  /** What a failed read means for its tags, and for the slave in this cycle. */
  private failedBlock(block: ReadBlock, cycle: Cycle, err: unknown): BlockOutcome {
    if (err instanceof ModbusTimeoutError) {
      cycle.silent.set(block.slave, `timed out after ${err.timeoutMs} ms`);
      return { code: TagErrorNumber.DEVICE_NO_RESPONSE };
    }
    if (err instanceof ModbusFrameError) {
      cycle.silent.set(block.slave, err.message.replace(/^slave \d+ /, ''));
      return { code: TagErrorNumber.DEVICE_NO_RESPONSE };
    }
    if (err instanceof ModbusExceptionError && isGatewayException(err.code)) {
      cycle.silent.set(block.slave, `the gateway answered exception ${err.code} (${exceptionName(err.code)})`);
      return { code: TagErrorNumber.DEVICE_NO_RESPONSE };
    }
    if (err instanceof ModbusExceptionError) {
      cycle.answered.add(block.slave);
      const last = block.start + block.count - 1;
      this.lastRefusal = { message: `${err.message} reading ${AREA_NAMES[block.area]} ${block.start}–${last} (zero-based)`, at: this.now() };
      return err.code === ILLEGAL_DATA_ADDRESS ? { refused: true } : { code: TagErrorNumber.READ_FAILURE };
    }
    throw err;
  }
}

const READ_FC: Readonly<Record<ModbusArea, 1 | 2 | 3 | 4>> = { 0: 1, 1: 2, 3: 4, 4: 3 };

/** One plan per distinct tag range, merged into a single plan of separate blocks. */
function planAlone(points: ModbusPoint[], limits: PlanLimits): ReadPlan {
  const byRange = new Map<string, ModbusPoint[]>();
  for (const p of points) {
    const key = `${p.offset}+${p.span}`;
    byRange.set(key, [...(byRange.get(key) ?? []), p]);
  }
  const plan: ReadPlan = { blocks: [], slots: [] };
  for (const group of byRange.values()) {
    const part = planReads(group, { ...limits, maxGapRegisters: 0, maxGapBits: 0 });
    const base = plan.blocks.length;
    const slotBase = plan.slots.length;
    for (const b of part.blocks) plan.blocks.push({ ...b, slots: b.slots.map((s) => s + slotBase) });
    for (const s of part.slots) plan.slots.push({ point: s.point, blocks: s.blocks.map((b) => b + base) });
  }
  return plan;
}
