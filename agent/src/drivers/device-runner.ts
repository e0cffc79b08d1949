import { ErrorCode, TagErrorNumber, type Device, type DeviceStats, type Group, type GroupValues, type LinkState, type TagValue } from '@edgefleet/protocol';
import type { Logger } from '../log.js';
import { errorMessage } from '../util/errors.js';
import { AgentError } from '../util/errors.js';
import { isSubscribingDriver, type Driver, type GroupRead } from './driver.js';
import { GroupScheduler } from './group-scheduler.js';
import { scaleValue } from './scaling.js';

export type ValuesListener = (values: GroupValues) => void;

/**
 * One running device: its driver, a scheduler per group, and the poll statistics reported in
 * heartbeats. Scaling lives here so every driver gets it the same way.
 */
export class DeviceRunner {
  polls = 0;
  pollErrors = 0;
  tagErrors = 0;
  lastPollAt: number | null = null;
  /** Why each group's last poll (or subscription) failed; a group's success clears its entry. */
  private readonly groupErrors = new Map<string, string>();

  /** The runner's own reason (a failed poll or subscription), until that group works again. */
  get lastError(): string | null {
    for (const reason of this.groupErrors.values()) return reason;
    return null;
  }
  private readonly schedulers: GroupScheduler[] = [];
  /** Per group, per tag: whether it has a scale, offset or precision to apply. */
  private readonly scaling = new WeakMap<Group, boolean[]>();
  private started = false;
  private running = false;

  constructor(
    readonly device: Device,
    readonly driver: Driver,
    private readonly onValues: ValuesListener,
    private readonly log: Logger,
  ) {}

  get name(): string {
    return this.device.name;
  }

  /** Opens the driver without polling yet, so an apply can fail before anything changes. */
  async open(): Promise<void> {
    if (!this.device.enabled) return;
    await this.driver.start();
    this.started = true;
  }

  /** Starts the group schedulers and subscriptions; called once the apply has committed. */
  run(): void {
    if (!this.started || this.running) return;
    this.running = true;
    const driver = this.driver;
    for (const group of this.device.groups) {
      if (isSubscribingDriver(driver) && (group.acquisition ?? 'subscribe') === 'subscribe') {
        // The source reports changes itself; each delivery is published as it comes.
        driver.subscribe(group, (read, timestamp) => this.publish(group, read, timestamp)).catch((err: unknown) => {
          const reason = errorMessage(err);
          this.groupErrors.set(group.name, reason);
          this.log.warn({ device: this.device.name, group: group.name, err: reason }, 'subscription failed');
        });
        continue;
      }
      const scheduler = new GroupScheduler(group.intervalMs, async () => {
        await this.poll(group);
      });
      this.schedulers.push(scheduler);
      scheduler.start();
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const s of this.schedulers) s.stop();
    await Promise.all(this.schedulers.map((s) => s.idle()));
    this.schedulers.length = 0;
    if (this.started) await this.driver.stop();
    this.started = false;
  }

  link(): LinkState {
    return this.device.enabled ? this.driver.link() : 'disabled';
  }

  /** Reads one group once, publishes the scaled values and returns them. */
  async poll(group: Group): Promise<GroupValues | undefined> {
    const timestamp = Date.now();
    try {
      const raw = await this.driver.readGroup(group);
      this.polls++;
      this.groupErrors.delete(group.name);
      return this.publish(group, raw, timestamp);
    } catch (err) {
      this.polls++;
      this.pollErrors++;
      this.tagErrors += group.tags.length;
      this.lastPollAt = timestamp;
      const reason = errorMessage(err);
      this.groupErrors.set(group.name, reason);
      this.log.debug({ device: this.device.name, group: group.name, err: reason }, 'poll failed');
      const errors = Object.fromEntries(group.tags.map((t) => [t.name, TagErrorNumber.DEVICE_NO_RESPONSE]));
      const gv: GroupValues = { device: this.device.name, group: group.name, timestamp, values: {}, errors };
      this.onValues(gv);
      return gv;
    }
  }

  /**
   * Reads a group from the device now, for the `read` command: scaled like a poll, but not
   * published and not counted in the poll statistics. A device failure is an error here.
   */
  async readNow(group: Group): Promise<GroupValues> {
    const timestamp = Date.now();
    let raw: GroupRead;
    try {
      raw = await this.driver.readGroup(group);
    } catch (err) {
      if (err instanceof AgentError) throw err;
      throw new AgentError(ErrorCode.DEVICE_ERROR, `device '${this.device.name}': ${errorMessage(err)}`);
    }
    return { device: this.device.name, group: group.name, timestamp, values: this.scaled(group, raw), errors: { ...raw.errors } };
  }

  /**
   * The group's values in a record of their own (the driver may fill its record again on its
   * next read), scaled. Which tags have a scale, offset or precision is worked out once per
   * group: the others are copied as they are.
   */
  private scaled(group: Group, raw: GroupRead): Record<string, TagValue> {
    let scaling = this.scaling.get(group);
    if (!scaling) {
      scaling = group.tags.map((t) => t.scale !== undefined || t.offset !== undefined || t.precision !== undefined);
      this.scaling.set(group, scaling);
    }
    const values: Record<string, TagValue> = {};
    const from = raw.values;
    const tags = group.tags;
    for (let i = 0; i < tags.length; i++) {
      const tag = tags[i]!;
      const v = from[tag.name];
      if (v !== undefined) values[tag.name] = scaling[i] ? scaleValue(tag, v) : v;
    }
    return values;
  }

  /** Scales and publishes one read or one delivery of changes. */
  private publish(group: Group, raw: GroupRead, timestamp: number): GroupValues {
    this.tagErrors += Object.keys(raw.errors).length;
    this.lastPollAt = timestamp;
    const gv: GroupValues = { device: this.device.name, group: group.name, timestamp, values: this.scaled(group, raw), errors: { ...raw.errors } };
    this.onValues(gv);
    return gv;
  }

  stats(): DeviceStats {
    return {
      name: this.device.name,
      driver: this.device.driver,
      link: this.link(),
      polls: this.polls,
      pollErrors: this.pollErrors,
      tagErrors: this.tagErrors,
      lastPollAt: this.lastPollAt === null ? null : new Date(this.lastPollAt).toISOString(),
      lastError: this.lastError ?? this.driver.lastError(),
      details: { ...this.driver.details?.(), skippedCycles: this.schedulers.reduce((n, s) => n + s.skipped, 0) },
    };
  }
}
