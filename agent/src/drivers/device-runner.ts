import { TagErrorNumber, type Device, type DeviceStats, type Group, type GroupValues, type LinkState, type TagValue } from '@edgefleet/protocol';
import type { Logger } from '../log.js';
import { errorMessage } from '../util/errors.js';
import type { Driver } from './driver.js';
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
  lastError: string | null = null;
  private readonly schedulers: GroupScheduler[] = [];
  private started = false;

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

  /** Starts the group schedulers; called once the apply has committed. */
  run(): void {
    if (!this.started || this.schedulers.length > 0) return;
    for (const group of this.device.groups) {
      const scheduler = new GroupScheduler(group.intervalMs, async () => {
        await this.poll(group);
      });
      this.schedulers.push(scheduler);
      scheduler.start();
    }
  }

  async stop(): Promise<void> {
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
      const values: Record<string, TagValue> = {};
      for (const tag of group.tags) {
        const v = raw.values[tag.name];
        if (v !== undefined) values[tag.name] = scaleValue(tag, v);
      }
      const errorCount = Object.keys(raw.errors).length;
      this.polls++;
      this.tagErrors += errorCount;
      this.lastPollAt = timestamp;
      const gv: GroupValues = { device: this.device.name, group: group.name, timestamp, values, errors: { ...raw.errors } };
      this.onValues(gv);
      return gv;
    } catch (err) {
      this.polls++;
      this.pollErrors++;
      this.tagErrors += group.tags.length;
      this.lastPollAt = timestamp;
      this.lastError = errorMessage(err);
      this.log.debug({ device: this.device.name, group: group.name, err: this.lastError }, 'poll failed');
      const errors = Object.fromEntries(group.tags.map((t) => [t.name, TagErrorNumber.DEVICE_NO_RESPONSE]));
      const gv: GroupValues = { device: this.device.name, group: group.name, timestamp, values: {}, errors };
      this.onValues(gv);
      return gv;
    }
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
      details: { skippedCycles: this.schedulers.reduce((n, s) => n + s.skipped, 0) },
    };
  }
}
