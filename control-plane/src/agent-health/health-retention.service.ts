import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { Clock } from '../common/clock.js';
import { ROOT_LOGGER } from '../common/logging/logger.js';
import { PeriodicSweep } from '../common/periodic-sweep.js';
import { HealthSampleRepository } from './health-sample.repository.js';
import { HealthSampler } from './health-sampler.service.js';

/** The history the API serves (`GET /agents/{id}/health?minutes=` goes up to 60)… */
export const HEALTH_HISTORY_MS = 60 * 60_000;
/** …plus a margin, so a chart of the full hour never loses its oldest point to a sweep. */
export const HEALTH_RETENTION_MARGIN_MS = 10 * 60_000;
/** Often enough that each sweep deletes about a minute's samples, not a burst of many. */
const SWEEP_EVERY_MS = 60_000;

/** Deletes samples older than the history plus the margin. Idempotent, so every replica may run it. */
@Injectable()
export class HealthSampleRetention extends PeriodicSweep {
  constructor(
    private readonly samples: HealthSampleRepository,
    private readonly sampler: HealthSampler,
    private readonly clock: Clock,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    super(SWEEP_EVERY_MS, 'health sample sweep', root.child({ component: 'health-retention' }));
  }

  async sweep(): Promise<number> {
    const now = this.clock.now();
    this.sampler.forgetOlderThanPeriod(now);
    const deleted = await this.samples.deleteBefore(new Date(now.getTime() - HEALTH_HISTORY_MS - HEALTH_RETENTION_MARGIN_MS));
    if (deleted > 0) this.log.debug({ deleted }, 'old health samples deleted');
    return deleted;
  }
}
