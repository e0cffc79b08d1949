import { Inject, Injectable } from '@nestjs/common';
import type { HeartbeatMessage } from '@edgefleet/protocol';
import { SETTINGS, type Settings } from '../config/settings.js';
import { sampleOf } from './health-sample-view.js';
import { HealthSampleRepository } from './health-sample.repository.js';

/**
 * Keeps at most one heartbeat per agent per `healthSampleMs` as a health sample. The time of each
 * agent's newest sample is remembered here, so most heartbeats are turned away without touching
 * the database. The rest go to a conditional insert that also sees the samples other replicas
 * wrote: with shared subscriptions the replicas take turns with an agent's heartbeats, and only
 * one of them stores a sample per period (two may, if they insert at the same moment; a sample is
 * never skipped for a replica's sake). Time is the plane's receive time, as for `lastSeenAt`.
 */
@Injectable()
export class HealthSampler {
  private readonly newest = new Map<string, number>();
  private readonly periodMs: number;

  constructor(
    private readonly samples: HealthSampleRepository,
    @Inject(SETTINGS) settings: Settings,
  ) {
    this.periodMs = settings.healthSampleMs;
  }

  get sampleMs(): number {
    return this.periodMs;
  }

  /**
   * Stores `hb`, received at `at`, unless the agent has a sample in the period before; answers
   * whether it did. Calls for one agent must not overlap (ingestion runs an agent's messages one
   * at a time). A failed insert is not remembered, so the next heartbeat tries again.
   */
  async offer(agentId: string, hb: HeartbeatMessage, at: Date): Promise<boolean> {
    const newest = this.newest.get(agentId);
    const since = newest === undefined ? undefined : at.getTime() - newest;
    // A clock that went back (since < 0) must not hold sampling up until it catches up.
    if (since !== undefined && since >= 0 && since < this.periodMs) return false;
    const result = await this.samples.insertUnlessRecent(sampleOf(agentId, hb, at), this.periodMs);
    if (result.newestAt) this.newest.set(agentId, result.newestAt.getTime());
    return result.inserted;
  }

  /** Forgets agents whose period has passed (the next heartbeat is due anyway), so deleted agents do not pile up. */
  forgetOlderThanPeriod(now: Date): void {
    for (const [agentId, at] of this.newest) if (now.getTime() - at >= this.periodMs) this.newest.delete(agentId);
  }
}
