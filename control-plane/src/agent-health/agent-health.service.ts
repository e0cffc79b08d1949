import { Injectable } from '@nestjs/common';
import type { AgentHealthHistory } from '@edgefleet/protocol';
import { AgentRepository } from '../agents/agent.repository.js';
import { Clock } from '../common/clock.js';
import { AppError } from '../common/errors/app-error.js';
import { toHealthSample } from './health-sample-view.js';
import { HealthSampleRepository } from './health-sample.repository.js';
import { HealthSampler } from './health-sampler.service.js';

@Injectable()
export class AgentHealthService {
  constructor(
    private readonly agents: AgentRepository,
    private readonly samples: HealthSampleRepository,
    private readonly sampler: HealthSampler,
    private readonly clock: Clock,
  ) {}

  /** The agent's samples of the last `minutes`, oldest first. */
  async history(agentId: string, minutes: number): Promise<AgentHealthHistory> {
    if (!(await this.agents.findById(agentId))) throw new AppError('NOT_FOUND', `No agent ${agentId}`);
    const since = new Date(this.clock.now().getTime() - minutes * 60_000);
    const rows = await this.samples.listSince(agentId, since);
    return { agentId, sampleMs: this.sampler.sampleMs, items: rows.map(toHealthSample) };
  }
}
