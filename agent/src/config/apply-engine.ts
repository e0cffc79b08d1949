import { createHash } from 'node:crypto';
import { canonicalJson, ErrorCode, type AgentConfig, type ComponentState, type Device, type Group, type LinkState, type Sink as SinkConfig, type WireError } from '@edgefleet/protocol';
import type { Logger } from '../log.js';
import { DeviceRunner } from '../drivers/device-runner.js';
import type { DriverRegistry } from '../drivers/registry.js';
import type { DriverContext } from '../drivers/driver.js';
import type { SinkRegistry } from '../sinks/registry.js';
import type { Sink, SinkContext, SinkDevice } from '../sinks/sink.js';
import type { GroupSample } from '../runtime/group-sample.js';
import { AgentError, errorMessage } from '../util/errors.js';

interface RunningSink {
  /** Identifies the component's config: see `configKey`. */
  key: string;
  config: SinkConfig;
  sink: Sink;
}

interface RunningDevice {
  /** Identifies the component's config: see `configKey`. */
  key: string;
  runner: DeviceRunner;
}

export type ApplyResult = { ok: true; started: string[]; stopped: string[]; kept: string[] } | { ok: false; error: WireError };

export interface ApplyEngineOptions {
  drivers: DriverRegistry;
  sinks: SinkRegistry;
  sinkContext: SinkContext;
  driverContext: DriverContext;
  log: Logger;
  /** Every group read or delivery, after routing to sinks (feeds the latest-values cache); synchronous, see `GroupSample`. */
  onValues?: (sample: GroupSample) => void;
}

/**
 * Turns a validated config into running devices and sinks, minimally and atomically:
 * components whose canonical JSON is unchanged keep running (same instance, no restart);
 * new and changed ones are created and opened first, and only when every one of them opened
 * does the engine switch over. If any fails, the ones just opened are closed and the running
 * set is left exactly as it was.
 */
export class ApplyEngine {
  private devices = new Map<string, RunningDevice>();
  private sinks = new Map<string, RunningSink>();
  private routes = new Map<string, Sink[]>();
  /** Device name → the sinks subscribed to any of its groups, for link changes. */
  private linkRoutes = new Map<string, Sink[]>();

  constructor(private readonly options: ApplyEngineOptions) {}

  async apply(config: AgentConfig): Promise<ApplyResult> {
    const { log } = this.options;
    const newDevices: RunningDevice[] = [];
    const newSinks: RunningSink[] = [];
    const nextDevices = new Map<string, RunningDevice>();
    const nextSinks = new Map<string, RunningSink>();
    const kept: string[] = [];

    try {
      for (const sinkConfig of config.northbound) {
        const key = configKey(sinkConfig);
        const current = this.sinks.get(sinkConfig.name);
        if (current && current.key === key) {
          nextSinks.set(sinkConfig.name, current);
          kept.push(`sink:${sinkConfig.name}`);
          continue;
        }
        const entry = { key, config: sinkConfig, sink: this.options.sinks.create(sinkConfig, this.options.sinkContext) };
        newSinks.push(entry);
        nextSinks.set(sinkConfig.name, entry);
      }
      for (const device of config.devices) {
        const key = configKey(device);
        const current = this.devices.get(device.name);
        if (current && current.key === key) {
          nextDevices.set(device.name, current);
          kept.push(`device:${device.name}`);
          continue;
        }
        const entry = { key, runner: this.createRunner(device) };
        newDevices.push(entry);
        nextDevices.set(device.name, entry);
      }
    } catch (err) {
      return { ok: false, error: toApplyError(err) };
    }

    const opened: Array<() => Promise<void>> = [];
    try {
      for (const entry of newSinks) {
        // The devices as they will be once applied; devices not yet opened show as not connected.
        this.define(entry.sink, entry.config, config, nextDevices);
        await this.guard(`sink '${entry.config.name}'`, () => entry.sink.start());
        opened.push(() => entry.sink.stop());
      }
      for (const entry of newDevices) {
        await this.guard(`device '${entry.runner.name}'`, () => entry.runner.open());
        opened.push(() => entry.runner.stop());
      }
    } catch (err) {
      await Promise.all(opened.map((close) => close().catch((e: unknown) => log.warn({ err: errorMessage(e) }, 'closing a component after a failed apply'))));
      return { ok: false, error: toApplyError(err) };
    }

    // Commit: from here on nothing can fail the apply.
    const stopped: string[] = [];
    const retiring: Array<Promise<void>> = [];
    for (const [name, entry] of this.devices) {
      if (nextDevices.get(name) !== entry) {
        stopped.push(`device:${name}`);
        retiring.push(entry.runner.stop());
      }
    }
    for (const [name, entry] of this.sinks) {
      if (nextSinks.get(name) !== entry) {
        stopped.push(`sink:${name}`);
        retiring.push(entry.sink.stop());
      }
    }
    await Promise.all(retiring.map((p) => p.catch((e: unknown) => log.warn({ err: errorMessage(e) }, 'stopping a retired component'))));
    this.devices = nextDevices;
    this.sinks = nextSinks;
    this.routes = buildRoutes(config.northbound, nextSinks);
    this.linkRoutes = buildLinkRoutes(config.northbound, nextSinks);
    // Kept sinks learn of changed tags of their groups (a Sparkplug sink births them again);
    // every sink learns the links of the devices as they are now.
    for (const entry of nextSinks.values()) this.define(entry.sink, entry.config, config, nextDevices);
    for (const entry of newDevices) entry.runner.run();
    const started = [...newSinks.map((s) => `sink:${s.config.name}`), ...newDevices.map((d) => `device:${d.runner.name}`)];
    return { ok: true, started, stopped, kept };
  }

  deviceRunners(): DeviceRunner[] {
    return [...this.devices.values()].map((d) => d.runner);
  }

  device(name: string): DeviceRunner | undefined {
    return this.devices.get(name)?.runner;
  }

  runningSinks(): Sink[] {
    return [...this.sinks.values()].map((s) => s.sink);
  }

  deviceStates(): ComponentState[] {
    return this.deviceRunners().map((r) => {
      const error = r.lastError ?? r.driver.lastError();
      return { name: r.name, kind: r.device.driver, link: r.link(), ...(error ? { error } : {}) };
    });
  }

  sinkStates(): ComponentState[] {
    return this.runningSinks().map((s) => ({ name: s.name, kind: s.kind, link: s.link() }));
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.deviceRunners().map((r) => r.stop()), ...this.runningSinks().map((s) => s.stop())].map((p) => p.catch(() => undefined)));
    this.devices.clear();
    this.sinks.clear();
    this.routes.clear();
    this.linkRoutes.clear();
  }

  private createRunner(device: Device): DeviceRunner {
    const driver = this.options.drivers.create(device, this.options.driverContext);
    const runner: DeviceRunner = new DeviceRunner(
      device,
      driver,
      (sample) => this.route(runner, sample),
      this.options.log,
      (link) => this.routeLink(runner, link),
    );
    return runner;
  }

  /** Tells the sinks subscribed to a device that its link changed; only the runner in service speaks. */
  private routeLink(runner: DeviceRunner, link: LinkState): void {
    if (this.devices.get(runner.name)?.runner !== runner) return;
    for (const sink of this.linkRoutes.get(runner.name) ?? []) {
      try {
        sink.deviceLink?.(runner.name, link);
      } catch (err) {
        this.options.log.warn({ sink: sink.name, device: runner.name, err: errorMessage(err) }, 'a sink failed to take a device link change');
      }
    }
  }

  /** Hands a sink the definitions and links of the devices it subscribes to (see `Sink.define`). */
  private define(sink: Sink, sinkConfig: SinkConfig, config: AgentConfig, devices: ReadonlyMap<string, RunningDevice>): void {
    if (!sink.define) return;
    try {
      sink.define(sinkDevices(sinkConfig, config, devices));
    } catch (err) {
      this.options.log.warn({ sink: sinkConfig.name, err: errorMessage(err) }, 'a sink failed to take its device definitions');
    }
  }

  /** Only the runner currently in service may feed sinks; a retiring or aborted one is muted. */
  private route(runner: DeviceRunner, sample: GroupSample): void {
    if (this.devices.get(runner.name)?.runner !== runner) return;
    for (const sink of this.routes.get(routeKey(sample.device, sample.group.name)) ?? []) sink.publish(sample);
    this.options.onValues?.(sample);
  }

  private async guard(what: string, step: () => Promise<void>): Promise<void> {
    try {
      await step();
    } catch (err) {
      if (err instanceof AgentError) throw err;
      throw new AgentError(ErrorCode.CONFIG_APPLY_FAILED, `${what} failed to start: ${errorMessage(err)}`);
    }
  }
}

/**
 * The sha256 of a component's canonical JSON: equal configs have equal keys. Kept instead of the
 * canonical JSON itself, which for a 1,000-tag device is ≈ 65 kB held for as long as it runs.
 */
function configKey(config: Device | SinkConfig): string {
  return createHash('sha256').update(canonicalJson(config)).digest('base64');
}

function routeKey(device: string, group: string): string {
  return `${device}\u0000${group}`;
}

function buildRoutes(configs: SinkConfig[], sinks: Map<string, RunningSink>): Map<string, Sink[]> {
  const routes = new Map<string, Sink[]>();
  for (const config of configs) {
    const entry = sinks.get(config.name);
    if (!entry || !config.enabled) continue;
    for (const sub of config.subscriptions) {
      const key = routeKey(sub.device, sub.group);
      const list = routes.get(key) ?? [];
      list.push(entry.sink);
      routes.set(key, list);
    }
  }
  return routes;
}

function buildLinkRoutes(configs: SinkConfig[], sinks: Map<string, RunningSink>): Map<string, Sink[]> {
  const routes = new Map<string, Sink[]>();
  for (const config of configs) {
    const entry = sinks.get(config.name);
    if (!entry || !config.enabled) continue;
    for (const device of new Set(config.subscriptions.map((s) => s.device))) {
      const list = routes.get(device) ?? [];
      list.push(entry.sink);
      routes.set(device, list);
    }
  }
  return routes;
}

/**
 * The devices a sink subscribes to, each with its subscribed groups in the device's order (as
 * the runner in service has them) and its link now.
 */
function sinkDevices(sinkConfig: SinkConfig, config: AgentConfig, devices: ReadonlyMap<string, RunningDevice>): SinkDevice[] {
  const wanted = new Map<string, Set<string>>();
  for (const sub of sinkConfig.subscriptions) {
    const groups = wanted.get(sub.device) ?? new Set<string>();
    groups.add(sub.group);
    wanted.set(sub.device, groups);
  }
  const out: SinkDevice[] = [];
  for (const [name, groupNames] of wanted) {
    const runner = devices.get(name)?.runner;
    const device = runner?.device ?? config.devices.find((d) => d.name === name);
    if (!device) continue;
    const groups: Group[] = device.groups.filter((g) => groupNames.has(g.name));
    out.push({ name, groups, link: runner?.link() ?? 'disconnected' });
  }
  return out;
}

function toApplyError(err: unknown): WireError {
  if (err instanceof AgentError) return err.toWire();
  return { code: ErrorCode.CONFIG_APPLY_FAILED, message: errorMessage(err) };
}
