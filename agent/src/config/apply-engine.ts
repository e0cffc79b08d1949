import { createHash } from 'node:crypto';
import { canonicalJson, ErrorCode, type AgentConfig, type ComponentState, type Device, type Sink as SinkConfig, type WireError } from '@edgefleet/protocol';
import type { Logger } from '../log.js';
import { DeviceRunner } from '../drivers/device-runner.js';
import type { DriverRegistry } from '../drivers/registry.js';
import type { DriverContext } from '../drivers/driver.js';
import type { SinkRegistry } from '../sinks/registry.js';
import type { Sink, SinkContext } from '../sinks/sink.js';
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
  }

  private createRunner(device: Device): DeviceRunner {
    const driver = this.options.drivers.create(device, this.options.driverContext);
    const runner: DeviceRunner = new DeviceRunner(device, driver, (sample) => this.route(runner, sample), this.options.log);
    return runner;
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

function toApplyError(err: unknown): WireError {
  if (err instanceof AgentError) return err.toWire();
  return { code: ErrorCode.CONFIG_APPLY_FAILED, message: errorMessage(err) };
}
