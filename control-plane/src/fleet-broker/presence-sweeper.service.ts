import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { AgentRepository } from '../agents/agent.repository.js';
import { Clock } from '../common/clock.js';
import { ROOT_LOGGER } from '../common/logging/logger.js';
import { PeriodicSweep } from '../common/periodic-sweep.js';

/** An agent silent for this many of its heartbeat intervals is shown offline… */
export const SILENT_HEARTBEATS = 3;
/** …but never sooner than this, so a slow network does not make agents flap. */
export const MIN_SILENT_MS = 30_000;
/** The agent's default heartbeat interval, for agents that have not reported theirs. */
export const DEFAULT_HEARTBEAT_MS = 10_000;
const SWEEP_EVERY_MS = 10_000;

/**
 * Presence normally comes from the agent (`online`) and its last will (`offline`). This sweep
 * covers what those cannot: an embedded broker restarted without persistence forgets the
 * retained presence and the wills of agents that died meanwhile.
 */
@Injectable()
export class PresenceSweeper extends PeriodicSweep {
  constructor(
    private readonly agents: AgentRepository,
    private readonly clock: Clock,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    super(SWEEP_EVERY_MS, 'presence sweep', root.child({ component: 'presence-sweeper' }));
  }

  async sweep(): Promise<number> {
    const marked = await this.agents.markSilentOffline(this.clock.now(), SILENT_HEARTBEATS, MIN_SILENT_MS, DEFAULT_HEARTBEAT_MS);
    if (marked > 0) this.log.info({ agents: marked }, 'agents silent for too long marked offline');
    return marked;
  }
}
