import {
  CommandRequestSchema,
  ErrorCode,
  RequestIdSchema,
  assertUnreachable,
  describeIssues,
  parseWith,
  type CommandReply,
  type CommandRequest,
  type CommandResult,
  type Group,
  type Tag,
  type WireError,
} from '@edgefleet/protocol';
import type { ApplyEngine } from '../config/apply-engine.js';
import type { DeviceRunner } from '../drivers/device-runner.js';
import { isBrowsableDriver, isWritableDriver, type BrowsableDriver, type DriverContext } from '../drivers/driver.js';
import type { DriverRegistry } from '../drivers/registry.js';
import type { ValuesCache } from '../runtime/values-cache.js';
import { isRecord, wireErrorOf } from './command-error.js';
import { Deadline, askDevice, connection, workBudgetMs } from './deadline.js';
import { testConnection, withTemporaryDriver } from './test-connection.js';
import { rawWriteValue } from './write-value.js';
import type { WriteOutcome, WriteRequest } from '../sinks/transport/transport.js';
import { AgentError, errorMessage } from '../util/errors.js';
import { AGENT_VERSION } from '../version.js';
import type { Logger } from '../log.js';

/** How long a write that arrived through a sink may take on the device. */
const SINK_WRITE_BUDGET_MS = 10_000;

export interface CommandHandlerOptions {
  engine: ApplyEngine;
  cache: ValuesCache;
  drivers: DriverRegistry;
  driverContext: DriverContext;
  appliedRevision: () => number | null;
  log: Logger;
  now?: () => number;
}

type Outcome = { ok: true; result: unknown } | { ok: false; error: WireError };
type CommandArgs<C extends CommandRequest['command']> = Extract<CommandRequest, { command: C }>['args'];

/**
 * Answers live commands from the plane. Returns the reply to send, or undefined when nothing
 * should be sent: no readable request id to address it to, or the deadline has passed (the
 * plane has already answered its caller with a timeout).
 */
export class CommandHandler {
  constructor(private readonly options: CommandHandlerOptions) {}

  async handle(topicRequestId: string, payload: string | Uint8Array): Promise<CommandReply | undefined> {
    let raw: unknown;
    try {
      raw = JSON.parse(typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8'));
    } catch {
      raw = undefined;
    }
    const requestId = readRequestId(raw, topicRequestId);
    if (requestId === undefined) {
      this.options.log.warn({ topicRequestId }, 'dropping a command without a usable request id');
      return undefined;
    }
    const parsed = parseWith(CommandRequestSchema, raw);
    if (!parsed.ok) {
      const name = isRecord(raw) ? raw.command : undefined;
      const unknown = typeof name === 'string' && !CommandRequestSchema.options.some((o) => o.shape.command.value === name);
      const error: WireError = unknown
        ? { code: ErrorCode.COMMAND_UNKNOWN, message: `unknown command '${name}'` }
        : { code: ErrorCode.VALIDATION_FAILED, message: describeIssues(parsed.issues), issues: parsed.issues };
      return { requestId, ok: false, error };
    }
    const request = parsed.value;
    const now = this.options.now?.() ?? Date.now();
    if (Date.parse(request.deadline) < now) {
      this.options.log.debug({ requestId, command: request.command }, 'ignoring a command past its deadline');
      return undefined;
    }
    // Everything the command does is bounded by its deadline, so the plane gets an answer (if
    // only "the device did not answer in time") rather than a timeout of its own.
    const deadline = new Deadline(workBudgetMs(request.deadline, now));
    const outcome = await this.run(request, deadline).catch((err: unknown): Outcome => {
      if (err instanceof AgentError) return { ok: false, error: wireErrorOf(err) };
      this.options.log.error({ requestId, err: errorMessage(err) }, 'command failed');
      return { ok: false, error: { code: ErrorCode.INTERNAL, message: 'the command failed; see the agent log' } };
    });
    return outcome.ok ? { requestId, ok: true, result: outcome.result } : { requestId, ok: false, error: outcome.error };
  }

  private async run(request: CommandRequest, deadline: Deadline): Promise<Outcome> {
    switch (request.command) {
      case 'ping': {
        const result: CommandResult<'ping'> = { agentVersion: AGENT_VERSION, appliedRevision: this.options.appliedRevision(), at: new Date().toISOString() };
        return { ok: true, result };
      }
      case 'read-values': {
        const result: CommandResult<'read-values'> = { groups: this.options.cache.query(request.args) };
        return { ok: true, result };
      }
      case 'read':
        return { ok: true, result: await this.read(request.args, deadline) };
      case 'write':
        return { ok: true, result: await this.write(request.args, deadline) };
      case 'browse':
        return { ok: true, result: await this.browse(request.args, deadline) };
      case 'test-connection':
        return { ok: true, result: await testConnection(request.args.device, this.options.drivers, this.options.driverContext, deadline) };
      default:
        return assertUnreachable(request);
    }
  }

  /**
   * A write that arrived through a sink (an MQTT or AWS write topic, an IoT Hub method or C2D
   * message): the same checks and encoding as the `write` command, within `budgetMs`. The group
   * may be left out when the tag's name is unique among the device's groups.
   */
  async writeFromSink(request: WriteRequest, budgetMs = SINK_WRITE_BUDGET_MS): Promise<WriteOutcome> {
    try {
      let group = request.group;
      if (group === undefined) {
        const runner = this.runner(request.device);
        const owners = runner.device.groups.filter((g) => g.tags.some((t) => t.name === request.tag));
        if (owners.length !== 1) {
          throw new AgentError(ErrorCode.TAG_NOT_FOUND, owners.length === 0 ? `device '${request.device}' has no tag named '${request.tag}'` : `tag '${request.tag}' is in several groups of device '${request.device}'; name the group`);
        }
        group = owners[0]!.name;
      }
      await this.write({ device: request.device, group, tag: request.tag, value: request.value }, new Deadline(budgetMs));
      return { ok: true };
    } catch (err) {
      return { ok: false, error: wireErrorOf(err) };
    }
  }

  private find(args: { device: string; group: string; tag?: string }): { runner: DeviceRunner; group: Group; tag: Tag | undefined } {
    const runner = this.runner(args.device);
    const group = runner.device.groups.find((g) => g.name === args.group);
    if (!group) throw new AgentError(ErrorCode.TAG_NOT_FOUND, `device '${args.device}' has no group named '${args.group}'`);
    if (args.tag === undefined) return { runner, group, tag: undefined };
    const tag = group.tags.find((t) => t.name === args.tag);
    if (!tag) throw new AgentError(ErrorCode.TAG_NOT_FOUND, `group '${args.group}' of device '${args.device}' has no tag named '${args.tag}'`);
    return { runner, group, tag };
  }

  private runner(name: string): DeviceRunner {
    const runner = this.options.engine.device(name);
    if (!runner) throw new AgentError(ErrorCode.TAG_NOT_FOUND, `no device named '${name}' in the running config`);
    return runner;
  }

  /** A disabled device is not connected at all: say so rather than fail at the driver. */
  private requireEnabled(runner: DeviceRunner, action: string): void {
    if (!runner.device.enabled) throw new AgentError(ErrorCode.CONFLICT, `device '${runner.name}' is disabled in the running config; enable it to ${action} it`);
  }

  /** A configured device's connection, or the reason it has none (see `connection`). */
  private connected(runner: DeviceRunner, deadline: Deadline): Promise<void> {
    return connection(runner.name, runner.driver, deadline, 'is not connected');
  }

  private async read(args: CommandArgs<'read'>, deadline: Deadline): Promise<CommandResult<'read'>> {
    const { runner, group, tag } = this.find(args);
    this.requireEnabled(runner, 'read');
    await this.connected(runner, deadline);
    // One tag: read a group of just that tag, so nothing else is asked of the device.
    return askDevice(deadline, args.device, runner.readNow(tag ? { ...group, tags: [tag] } : group), 'did not answer the read in time');
  }

  private async write(args: CommandArgs<'write'>, deadline: Deadline): Promise<CommandResult<'write'>> {
    const { runner, group, tag } = this.find(args);
    if (!tag) throw new AgentError(ErrorCode.TAG_NOT_FOUND, 'a write names its tag');
    if (tag.access !== 'rw') throw new AgentError(ErrorCode.TAG_NOT_WRITABLE, `tag '${args.tag}' is read-only (access 'r')`);
    const driver = runner.driver;
    if (!isWritableDriver(driver)) throw new AgentError(ErrorCode.TAG_NOT_WRITABLE, `a ${runner.device.driver} device cannot be written`);
    this.requireEnabled(runner, 'write');
    const raw = rawWriteValue(tag, args.value);
    await this.connected(runner, deadline);
    const started = performance.now();
    await askDevice(deadline, args.device, driver.writeTag(group, tag, raw), `did not acknowledge the write to '${args.tag}' in time; the value may or may not have been written`);
    return { device: args.device, group: args.group, tag: args.tag, value: args.value, durationMs: Math.round((performance.now() - started) * 10) / 10 };
  }

  private async browse(args: CommandArgs<'browse'>, deadline: Deadline): Promise<CommandResult<'browse'>> {
    const unsupported = (kind: string) => new AgentError(ErrorCode.OPERATION_UNSUPPORTED, `a ${kind} device has no address space to browse; only OPC UA devices can be browsed`);
    const browseWith = (driver: BrowsableDriver, name: string) => askDevice(deadline, name, driver.browse(args.nodeId), `did not answer the browse of ${args.nodeId} in time`);
    if (typeof args.device === 'string') {
      const runner = this.runner(args.device);
      const driver = runner.driver;
      if (!isBrowsableDriver(driver)) throw unsupported(runner.device.driver);
      this.requireEnabled(runner, 'browse');
      await this.connected(runner, deadline);
      return { nodeId: args.nodeId, children: await browseWith(driver, runner.name) };
    }
    const device = args.device;
    const driver = this.options.drivers.create(device, this.options.driverContext);
    // Checked before starting it, so nothing connects only to be told it cannot browse.
    if (!isBrowsableDriver(driver)) throw unsupported(device.driver);
    const children = await withTemporaryDriver(device, driver, this.options.driverContext, deadline, () => browseWith(driver, device.name));
    return { nodeId: args.nodeId, children };
  }
}

function readRequestId(raw: unknown, fromTopic: string): string | undefined {
  const fromPayload = isRecord(raw) ? raw.requestId : undefined;
  if (RequestIdSchema.safeParse(fromPayload).success) return fromPayload as string;
  return RequestIdSchema.safeParse(fromTopic).success ? fromTopic : undefined;
}
