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
import { isBrowsableDriver, isWritableDriver, type DriverContext } from '../drivers/driver.js';
import type { DriverRegistry } from '../drivers/registry.js';
import { testConnection, withTemporaryDriver } from './test-connection.js';
import { unscaleValue } from '../drivers/scaling.js';
import type { ValuesCache } from '../runtime/values-cache.js';
import { AgentError, errorMessage } from '../util/errors.js';
import { AGENT_VERSION } from '../version.js';
import type { Logger } from '../log.js';

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
    const outcome = await this.run(request).catch((err: unknown): Outcome => {
      if (err instanceof AgentError) return { ok: false, error: err.toWire() };
      this.options.log.error({ requestId, err: errorMessage(err) }, 'command failed');
      return { ok: false, error: { code: ErrorCode.INTERNAL, message: 'the command failed; see the agent log' } };
    });
    return outcome.ok ? { requestId, ok: true, result: outcome.result } : { requestId, ok: false, error: outcome.error };
  }

  private async run(request: CommandRequest): Promise<Outcome> {
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
        return { ok: true, result: await this.read(request.args) };
      case 'write':
        return { ok: true, result: await this.write(request.args) };
      case 'browse':
        return { ok: true, result: await this.browse(request.args) };
      case 'test-connection':
        return { ok: true, result: await testConnection(request.args.device, this.options.drivers, this.options.driverContext, this.deadlineBudget(request)) };
      default:
        return assertUnreachable(request);
    }
  }

  /** Time left before the plane stops waiting, less a margin to send the reply. */
  private deadlineBudget(request: CommandRequest): number {
    const now = this.options.now?.() ?? Date.now();
    return Math.max(100, Date.parse(request.deadline) - now - REPLY_MARGIN_MS);
  }

  private find(args: { device: string; group: string; tag?: string }): { runner: DeviceRunner; group: Group; tag: Tag | undefined } {
    const runner = this.options.engine.device(args.device);
    if (!runner) throw new AgentError(ErrorCode.TAG_NOT_FOUND, `no device named '${args.device}'`);
    const group = runner.device.groups.find((g) => g.name === args.group);
    if (!group) throw new AgentError(ErrorCode.TAG_NOT_FOUND, `device '${args.device}' has no group named '${args.group}'`);
    if (args.tag === undefined) return { runner, group, tag: undefined };
    const tag = group.tags.find((t) => t.name === args.tag);
    if (!tag) throw new AgentError(ErrorCode.TAG_NOT_FOUND, `group '${args.group}' of device '${args.device}' has no tag named '${args.tag}'`);
    return { runner, group, tag };
  }

  private async read(args: Extract<CommandRequest, { command: 'read' }>['args']): Promise<CommandResult<'read'>> {
    const { runner, group, tag } = this.find(args);
    if (!runner.device.enabled) throw new AgentError(ErrorCode.DEVICE_ERROR, `device '${args.device}' is disabled`);
    // One tag: read a group of just that tag, so nothing else is asked of the device.
    return runner.readNow(tag ? { ...group, tags: [tag] } : group);
  }

  private async write(args: Extract<CommandRequest, { command: 'write' }>['args']): Promise<CommandResult<'write'>> {
    const { runner, group, tag } = this.find(args);
    if (!tag) throw new AgentError(ErrorCode.TAG_NOT_FOUND, 'a write names its tag');
    if (tag.access !== 'rw') throw new AgentError(ErrorCode.TAG_NOT_WRITABLE, `tag '${args.tag}' is read-only (access 'r')`);
    if (!isWritableDriver(runner.driver)) throw new AgentError(ErrorCode.TAG_NOT_WRITABLE, `driver '${runner.device.driver}' cannot write`);
    if (!runner.device.enabled) throw new AgentError(ErrorCode.DEVICE_ERROR, `device '${args.device}' is disabled`);
    const started = performance.now();
    await runner.driver.writeTag(group, tag, unscaleValue(tag, args.value));
    return { device: args.device, group: args.group, tag: args.tag, value: args.value, durationMs: Math.round((performance.now() - started) * 10) / 10 };
  }

  private async browse(args: Extract<CommandRequest, { command: 'browse' }>['args']): Promise<CommandResult<'browse'>> {
    if (typeof args.device === 'string') {
      const runner = this.options.engine.device(args.device);
      if (!runner) throw new AgentError(ErrorCode.TAG_NOT_FOUND, `no device named '${args.device}'`);
      if (!isBrowsableDriver(runner.driver)) throw new AgentError(ErrorCode.OPERATION_UNSUPPORTED, `a ${runner.device.driver} device has no address space to browse`);
      return { nodeId: args.nodeId, children: await runner.driver.browse(args.nodeId) };
    }
    const device = args.device;
    return withTemporaryDriver(device, this.options.drivers, this.options.driverContext, BROWSE_CONNECT_MS, async (driver) => {
      if (!isBrowsableDriver(driver)) throw new AgentError(ErrorCode.OPERATION_UNSUPPORTED, `a ${device.driver} device has no address space to browse`);
      return { nodeId: args.nodeId, children: await driver.browse(args.nodeId) };
    });
  }
}

/** Margin kept before a command's deadline to send the reply. */
const REPLY_MARGIN_MS = 500;
/** How long a browse of an unsaved device may take to connect. */
const BROWSE_CONNECT_MS = 10_000;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function readRequestId(raw: unknown, fromTopic: string): string | undefined {
  const fromPayload = isRecord(raw) ? raw.requestId : undefined;
  if (RequestIdSchema.safeParse(fromPayload).success) return fromPayload as string;
  return RequestIdSchema.safeParse(fromTopic).success ? fromTopic : undefined;
}
