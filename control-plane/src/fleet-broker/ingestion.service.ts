import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Prisma } from '@prisma/client';
import type { Logger } from 'pino';
import {
  HeartbeatMessageSchema,
  PresenceMessageSchema,
  StateMessageSchema,
  parseJsonWith,
  parseTopic,
  planeFilters,
  sharedFilter,
  type HeartbeatMessage,
} from '@edgefleet/protocol';
import { HealthSampler } from '../agent-health/health-sampler.service.js';
import { AgentRepository } from '../agents/agent.repository.js';
import { Clock } from '../common/clock.js';
import { ROOT_LOGGER } from '../common/logging/logger.js';
import { SETTINGS, type Settings } from '../config/settings.js';
import { FleetBrokerService, type IncomingMessage } from './fleet-broker.service.js';
import { KeyedSerialQueue } from './keyed-serial-queue.js';
import { settlesWithin } from '../common/settles-within.js';

const SHUTDOWN_DRAIN_MS = 10_000;

/**
 * Turns agents' reports (state, presence, heartbeat) into agent rows. Every write is an
 * overwrite, so ingesting a message twice is harmless: replicas without shared subscriptions
 * each ingest everything and still agree. Malformed payloads and unknown agents are dropped.
 * Heartbeats also feed the health history (`HealthSampler`), which keeps one per period.
 */
@Injectable()
export class IngestionService implements OnModuleInit, OnApplicationShutdown {
  private readonly log: Logger;
  private readonly queue = new KeyedSerialQueue();

  constructor(
    private readonly broker: FleetBrokerService,
    private readonly agents: AgentRepository,
    private readonly health: HealthSampler,
    private readonly clock: Clock,
    @Inject(SETTINGS) private readonly settings: Settings,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.log = root.child({ component: 'ingestion' });
  }

  onModuleInit(): void {
    const filter = (f: string) => (this.settings.broker.sharedSubscriptions ? sharedFilter(f) : f);
    this.broker.addSubscription(filter(planeFilters.state));
    this.broker.addSubscription(filter(planeFilters.presence));
    this.broker.addSubscription(filter(planeFilters.heartbeat));
    this.broker.onMessage((msg) => this.accept(msg));
  }

  private accept(msg: IncomingMessage): void {
    const parsed = parseTopic(msg.topic);
    if (!parsed) return;
    const { agentId, kind } = parsed;
    if (kind === 'reply') {
      // Replies are the command service's; here they only prove the agent is alive.
      if (!msg.retained) void this.queue.run(agentId, async () => void (await this.agents.update(agentId, { lastSeenAt: this.clock.now() }))).catch(() => undefined);
      return;
    }
    if (kind !== 'state' && kind !== 'presence' && kind !== 'heartbeat') return;
    void this.queue
      .run(agentId, async () => {
        const data = this.toUpdate(kind, msg);
        if (!data) return;
        const known = kind === 'state' ? await this.agents.updateState(agentId, stateOrder(data), data) : await this.agents.update(agentId, data);
        if (!known) this.log.debug({ agentId, kind }, 'message from an unknown agent; dropped');
        else if (kind === 'heartbeat' && !msg.retained) await this.sample(agentId, data);
      })
      .catch((err: Error) => this.log.warn({ agentId, kind, err: err.message }, 'ingestion failed'));
  }

  /** The row update a message implies, or undefined when the payload is malformed (or an empty retained clear). */
  toUpdate(kind: 'state' | 'presence' | 'heartbeat', msg: IncomingMessage): Prisma.AgentUpdateManyMutationInput | undefined {
    if (msg.payload.length === 0) return undefined;
    const now = this.clock.now();
    // A retained message replayed on subscribe says nothing about when the agent was last heard.
    const seen = msg.retained ? {} : { lastSeenAt: now };
    switch (kind) {
      case 'state': {
        const r = parseJsonWith(StateMessageSchema, msg.payload);
        if (!r.ok) return this.malformed(msg, r.issues);
        const s = r.value;
        return {
          ...seen,
          appliedRevision: s.appliedRevision,
          appliedSha256: s.appliedSha256,
          reportedStatus: s.status,
          reportedRevision: s.revision,
          lastError: s.error ? ({ ...s.error, revision: s.revision } as Prisma.InputJsonObject) : Prisma.DbNull,
          agentVersion: s.agentVersion,
          reportedState: { devices: s.devices, sinks: s.sinks, startedAt: s.startedAt, at: s.at, ...(s.seq !== undefined ? { seq: s.seq } : {}) } as Prisma.InputJsonObject,
          reportedAt: now,
        };
      }
      case 'presence': {
        const r = parseJsonWith(PresenceMessageSchema, msg.payload);
        if (!r.ok) return this.malformed(msg, r.issues);
        return { ...seen, online: r.value.status === 'online' };
      }
      case 'heartbeat': {
        const r = parseJsonWith(HeartbeatMessageSchema, msg.payload);
        if (!r.ok) return this.malformed(msg, r.issues);
        // Heartbeats are never retained: one arriving means the agent is connected right now.
        return { ...seen, ...(msg.retained ? {} : { online: true }), heartbeat: r.value as Prisma.InputJsonObject, heartbeatAt: now };
      }
    }
  }

  /** A lost sample is a gap in a chart, not a reason to fail the heartbeat's update (already written). */
  private async sample(agentId: string, data: Prisma.AgentUpdateManyMutationInput): Promise<void> {
    const { heartbeat, at } = heartbeatOf(data);
    try {
      await this.health.offer(agentId, heartbeat, at);
    } catch (err) {
      this.log.warn({ agentId, err: (err as Error).message }, 'health sample not stored');
    }
  }

  private malformed(msg: IncomingMessage, issues: unknown): undefined {
    this.log.debug({ topic: msg.topic, issues }, 'malformed message; dropped');
    return undefined;
  }

  /** Resolves once everything received so far is written. */
  drain(): Promise<void> {
    return this.queue.drain();
  }

  /**
   * The broker connection is closed by now (`beforeApplicationShutdown`), so nothing new comes
   * in: finish the writes under way, so none is cut off when the database pool closes.
   */
  async onApplicationShutdown(): Promise<void> {
    const finished = await settlesWithin(this.drain(), SHUTDOWN_DRAIN_MS);
    if (!finished) this.log.warn({ waitedMs: SHUTDOWN_DRAIN_MS }, 'ingestion still busy at shutdown; leaving it');
  }
}

/** The heartbeat of a heartbeat update and when it was received, as `toUpdate` put them. */
function heartbeatOf(data: Prisma.AgentUpdateManyMutationInput): { heartbeat: HeartbeatMessage; at: Date } {
  return { heartbeat: data.heartbeat as HeartbeatMessage, at: data.heartbeatAt as Date };
}

/** The ordering fields of a state update, as `toUpdate` stored them in `reportedState`. */
function stateOrder(data: Prisma.AgentUpdateManyMutationInput): { startedAt: string; at: string; seq?: number } {
  const state = data.reportedState as { startedAt: string; at: string; seq?: number };
  return { startedAt: state.startedAt, at: state.at, ...(state.seq !== undefined ? { seq: state.seq } : {}) };
}
