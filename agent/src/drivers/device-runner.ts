import { ErrorCode, TagErrorNumber, type Device, type DeviceStats, type Group, type GroupValues, type LinkState, type TagValue } from '@edgefleet/protocol';
import { scaledRecords, type GroupSample } from '../runtime/group-sample.js';
import type { Logger } from '../log.js';
import { errorMessage } from '../util/errors.js';
import { AgentError } from '../util/errors.js';
import { isSubscribingDriver, type Driver, type GroupRead } from './driver.js';
import { GroupScheduler } from './group-scheduler.js';
import { scaleValue } from './scaling.js';

/** Receives each read or delivery, synchronously; see `GroupSample` for what it may keep. */
export type ValuesListener = (sample: GroupSample) => void;

/** Receives each change of the device's link (see `DeviceRunner.link`). */
export type LinkListener = (link: LinkState) => void;

/** How often a running device's link is looked at between reads (a slow group, or a subscription, reads seldom). */
export const LINK_CHECK_MS = 1_000;

const NO_VALUES: ReadonlyArray<TagValue | undefined> = [];

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
  /**
   * Per group: which tags have a scale, offset or precision to apply (undefined when none: the
   * driver's values are handed on as they are), and the array the scaled values go in.
   */
  private readonly scaling = new WeakMap<Group, { needs: Uint8Array | undefined; out: Array<TagValue | undefined> }>();
  private started = false;
  private running = false;
  /** The link last reported to `onLink`. */
  private reportedLink: LinkState | undefined;
  private linkTimer: NodeJS.Timeout | undefined;

  /**
   * `onLink` hears of every change of `link()` while the device runs: looked at before each read
   * or delivery is handed on (so a listener learns that a device went away before its failed
   * read, and that it is back before its first good one) and every `LINK_CHECK_MS` in between.
   */
  constructor(
    readonly device: Device,
    readonly driver: Driver,
    private readonly onValues: ValuesListener,
    private readonly log: Logger,
    private readonly onLink?: LinkListener,
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
    if (this.onLink) {
      this.checkLink();
      this.linkTimer = setInterval(() => this.checkLink(), LINK_CHECK_MS);
      this.linkTimer.unref();
    }
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
    clearInterval(this.linkTimer);
    this.linkTimer = undefined;
    for (const s of this.schedulers) s.stop();
    await Promise.all(this.schedulers.map((s) => s.idle()));
    this.schedulers.length = 0;
    if (this.started) await this.driver.stop();
    this.started = false;
  }

  link(): LinkState {
    return this.device.enabled ? this.driver.link() : 'disabled';
  }

  /** Reads one group once and publishes the scaled values (or every tag's error). */
  async poll(group: Group): Promise<void> {
    const timestamp = Date.now();
    try {
      const raw = await this.driver.readGroup(group);
      this.polls++;
      this.groupErrors.delete(group.name);
      this.publish(group, raw, timestamp);
    } catch (err) {
      this.polls++;
      this.pollErrors++;
      this.tagErrors += group.tags.length;
      this.lastPollAt = timestamp;
      const reason = errorMessage(err);
      this.groupErrors.set(group.name, reason);
      this.log.debug({ device: this.device.name, group: group.name, err: reason }, 'poll failed');
      const errors = new Map<number, number>();
      for (let i = 0; i < group.tags.length; i++) errors.set(i, TagErrorNumber.DEVICE_NO_RESPONSE);
      this.checkLink();
      this.onValues({ device: this.device.name, group, timestamp, values: NO_VALUES, errors });
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
    return { device: this.device.name, group: group.name, timestamp, ...scaledRecords(group.tags, raw) };
  }

  /**
   * The read's values scaled. Which tags have a scale, offset or precision is worked out once
   * per group; a group with none hands the driver's values on as they are, the others are
   * copied into an array of the runner's (the driver's is the driver's) and scaled there.
   */
  private scaled(group: Group, raw: GroupRead): ReadonlyArray<TagValue | undefined> {
    let scaling = this.scaling.get(group);
    if (!scaling) {
      const needs = new Uint8Array(group.tags.length);
      let any = false;
      group.tags.forEach((t, i) => {
        if (t.scale !== undefined || t.offset !== undefined || t.precision !== undefined) needs[i] = 1;
        any ||= needs[i] === 1;
      });
      scaling = { needs: any ? needs : undefined, out: any ? new Array<TagValue | undefined>(group.tags.length) : [] };
      this.scaling.set(group, scaling);
    }
    const { needs, out } = scaling;
    if (!needs) return raw.values;
    const from = raw.values;
    const tags = group.tags;
    const copy = (i: number): void => {
      const v = from[i];
      out[i] = v !== undefined && needs[i] === 1 ? scaleValue(tags[i]!, v) : v;
    };
    if (raw.changed) for (const i of raw.changed) copy(i);
    else for (let i = 0; i < tags.length; i++) copy(i);
    return out;
  }

  /** Scales and publishes one read or one delivery of changes. */
  private publish(group: Group, raw: GroupRead, timestamp: number): void {
    this.tagErrors += raw.errors.size;
    this.lastPollAt = timestamp;
    this.checkLink();
    this.onValues({ device: this.device.name, group, timestamp, values: this.scaled(group, raw), errors: raw.errors, changed: raw.changed });
  }

  /** Tells `onLink` when the link differs from what it was last told. */
  private checkLink(): void {
    if (!this.onLink || !this.running) return;
    const link = this.link();
    if (link === this.reportedLink) return;
    this.reportedLink = link;
    try {
      this.onLink(link);
    } catch (err) {
      this.log.warn({ device: this.device.name, err: errorMessage(err) }, 'a link listener failed');
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
      details: { ...this.driver.details?.(), skippedCycles: this.schedulers.reduce((n, s) => n + s.skipped, 0) },
    };
  }
}
