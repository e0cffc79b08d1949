import { randomBytes } from 'node:crypto';
import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import {
  CommandReplySchema,
  CommandRequestSchema,
  CommandResultSchemas,
  describeIssues,
  parseJsonWith,
  parseTopic,
  parseWith,
  planeFilters,
  topics,
  type CommandName,
  type CommandRequest,
  type CommandResult,
} from '@edgefleet/protocol';
import { AgentRepository } from '../agents/agent.repository.js';
import { AppError } from '../common/errors/app-error.js';
import { ROOT_LOGGER } from '../common/logging/logger.js';
import { FleetBrokerService, type IncomingMessage } from './fleet-broker.service.js';

export type CommandArgs<C extends CommandName> = Extract<CommandRequest, { command: C }>['args'];

interface Pending {
  agentId: string;
  command: CommandName;
  resolve(result: unknown): void;
  reject(err: AppError): void;
  timer: NodeJS.Timeout;
}

export const DEFAULT_COMMAND_TIMEOUT_MS = 5000;

/**
 * Request/reply over the control channel: `cmd/{requestId}` out, `reply/{requestId}` back. Replies
 * come through a plain (never shared) subscription, so each replica sees the replies to its own
 * requests; replies to other replicas' requests find no pending entry and are ignored.
 */
@Injectable()
export class CommandService implements OnModuleInit, OnApplicationShutdown {
  private readonly pending = new Map<string, Pending>();
  private readonly log: Logger;

  constructor(
    private readonly broker: FleetBrokerService,
    private readonly agents: AgentRepository,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.log = root.child({ component: 'commands' });
  }

  onModuleInit(): void {
    this.broker.addSubscription(planeFilters.reply);
    this.broker.onMessage((msg) => this.onReply(msg));
  }

  async send<C extends CommandName>(agentId: string, command: C, args: CommandArgs<C>, timeoutMs = DEFAULT_COMMAND_TIMEOUT_MS): Promise<CommandResult<C>> {
    const agent = await this.agents.findById(agentId);
    if (!agent) throw new AppError('NOT_FOUND', `No agent ${agentId}`);
    if (!agent.online) throw new AppError('AGENT_OFFLINE');
    if (!this.broker.connected) throw new AppError('AGENT_OFFLINE', 'The control plane is not connected to the fleet broker');
    const requestId = randomBytes(16).toString('base64url');
    const request = parseWith(CommandRequestSchema, { requestId, deadline: new Date(Date.now() + timeoutMs).toISOString(), command, args });
    if (!request.ok) throw new AppError('VALIDATION_FAILED', describeIssues(request.issues), request.issues);

    const reply = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        reject(new AppError('AGENT_TIMEOUT'));
      }, timeoutMs);
      this.pending.set(requestId, { agentId, command, resolve, reject, timer });
    });
    try {
      await this.broker.publish(topics.command(agentId, requestId), JSON.stringify(request.value), { qos: 1, retain: false });
    } catch {
      this.settle(requestId)?.reject(new AppError('AGENT_OFFLINE', 'The control plane is not connected to the fleet broker'));
    }
    return (await reply) as CommandResult<C>;
  }

  private settle(requestId: string): Pending | undefined {
    const p = this.pending.get(requestId);
    if (!p) return undefined;
    clearTimeout(p.timer);
    this.pending.delete(requestId);
    return p;
  }

  private onReply(msg: IncomingMessage): void {
    const parsed = parseTopic(msg.topic);
    if (!parsed || parsed.kind !== 'reply' || !parsed.rest) return;
    const p = this.pending.get(parsed.rest);
    // Another replica's request, or one that already timed out.
    if (!p || p.agentId !== parsed.agentId) return;
    const reply = parseJsonWith(CommandReplySchema, msg.payload);
    if (!reply.ok || reply.value.requestId !== parsed.rest) {
      this.log.debug({ topic: msg.topic }, 'malformed command reply; dropped');
      return;
    }
    this.settle(parsed.rest);
    if (!reply.value.ok) {
      const e = reply.value.error;
      p.reject(new AppError(e.code, e.message, e.issues));
      return;
    }
    const result = parseWith(CommandResultSchemas[p.command], reply.value.result);
    if (!result.ok) {
      this.log.warn({ agentId: p.agentId, command: p.command, issues: result.issues }, 'the agent answered with a malformed result');
      p.reject(new AppError('INTERNAL', 'The agent answered with a malformed result'));
      return;
    }
    p.resolve(result.value);
  }

  onApplicationShutdown(): void {
    for (const id of [...this.pending.keys()]) this.settle(id)?.reject(new AppError('AGENT_TIMEOUT', 'The control plane is shutting down'));
  }
}
