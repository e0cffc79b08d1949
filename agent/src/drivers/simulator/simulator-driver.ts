import { ErrorCode, parseSimulatorAddress, TagErrorNumber, type Device, type Group, type LinkState, type Tag, type TagValue } from '@edgefleet/protocol';
import { AgentError } from '../../util/errors.js';
import type { GroupRead, WritableDriver } from '../driver.js';
import { coerceToType, createPoint, hashString, isWritablePoint, seededRandom, type SimPoint } from './points.js';

type SimulatorDevice = Extract<Device, { driver: 'simulator' }>;

/**
 * A device made of functions (sine, ramp, random, counter, memory): lets a box, a demo and the
 * tests run the whole pipeline with no machine attached. Points keep their state per group/tag
 * for the life of the driver.
 */
export class SimulatorDriver implements WritableDriver {
  readonly kind = 'simulator' as const;
  private state: LinkState = 'disconnected';
  /** Points by group name, then tag name (the names are the config's own strings, not new keys). */
  private readonly points = new Map<string, Map<string, SimPoint>>();
  /** Each group's points in tag order, so a poll does no key building or lookups. */
  private readonly plans = new WeakMap<Group, ReadonlyArray<SimPoint | undefined>>();

  constructor(
    private readonly device: SimulatorDevice,
    private readonly now: () => number = Date.now,
  ) {}

  async start(): Promise<void> {
    for (const group of this.device.groups) {
      for (const tag of group.tags) this.pointFor(group, tag);
    }
    this.state = 'connected';
  }

  /** A simulator is always there once started. */
  async waitConnected(): Promise<void> {
    if (this.state !== 'connected') throw new AgentError(ErrorCode.DEVICE_ERROR, 'the simulator is not started');
  }

  async stop(): Promise<void> {
    this.state = 'disconnected';
  }

  link(): LinkState {
    return this.state;
  }

  lastError(): string | null {
    return null;
  }

  async readGroup(group: Group): Promise<GroupRead> {
    const { tags } = group;
    const values = new Array<TagValue | undefined>(tags.length);
    const errors = new Map<number, number>();
    const now = this.now();
    const plan = this.planFor(group);
    for (let i = 0; i < tags.length; i++) {
      const point = plan[i];
      if (!point) errors.set(i, TagErrorNumber.READ_FAILURE);
      else values[i] = coerceToType((tags[i] as Tag).type, point.read(now));
    }
    return { values, errors };
  }

  async writeTag(group: Group, tag: Tag, raw: TagValue): Promise<void> {
    const point = this.pointFor(group, tag);
    if (!point || !isWritablePoint(point)) {
      throw new AgentError(ErrorCode.TAG_NOT_WRITABLE, `tag '${tag.name}' is not a memory(...) point`);
    }
    point.write(coerceToType(tag.type, raw));
  }

  private planFor(group: Group): ReadonlyArray<SimPoint | undefined> {
    let plan = this.plans.get(group);
    if (!plan) {
      plan = group.tags.map((tag) => this.pointFor(group, tag));
      this.plans.set(group, plan);
    }
    return plan;
  }

  private pointFor(group: Group, tag: Tag): SimPoint | undefined {
    let points = this.points.get(group.name);
    if (!points) {
      points = new Map();
      this.points.set(group.name, points);
    }
    let point = points.get(tag.name);
    if (point) return point;
    const parsed = parseSimulatorAddress(tag.address);
    // The config schema already rejects bad addresses; this guards a document that skipped it.
    if (!parsed.ok) return undefined;
    const seed = this.device.settings.seed;
    // Only random points draw numbers; the others need no generator of their own.
    const random = seed === undefined || parsed.value.fn !== 'random' ? Math.random : seededRandom(seed ^ hashString(`${group.name}/${tag.name}`));
    point = createPoint(parsed.value, random);
    points.set(tag.name, point);
    return point;
  }
}
