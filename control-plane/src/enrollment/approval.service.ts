import { Inject, Injectable } from '@nestjs/common';
import type { Agent } from '@prisma/client';
import type { Logger } from 'pino';
import { AppError } from '../common/errors/app-error.js';
import { ROOT_LOGGER } from '../common/logging/logger.js';
import type { DesiredConfig } from '../configs/config-revision.repository.js';
import { ConfigPublisher } from '../fleet-broker/config-publisher.service.js';
import { EnrollmentRepository } from './enrollment.repository.js';
import { InitialRevision } from './initial-revision.js';

/**
 * An operator's decision on an agent waiting for approval. Approving gives a new agent the fleet
 * template as revision 1 at once (published retained, so it is there when the box connects with the
 * certificate it collects on its next poll); an agent that already has revisions (a re-imaged box
 * sent back to approval, see `reenrollment`) keeps them. Rejecting leaves it without a new
 * certificate or config, and its box's polls get `403 ENROLLMENT_REJECTED` until the record is deleted.
 */
@Injectable()
export class ApprovalService {
  private readonly log: Logger;

  constructor(
    private readonly repo: EnrollmentRepository,
    private readonly initialRevision: InitialRevision,
    private readonly publisher: ConfigPublisher,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.log = root.child({ component: 'enrollment' });
  }

  async approve(agentId: string, by: string): Promise<Agent> {
    let initial: DesiredConfig | undefined;
    const agent = await this.repo.transaction(async (tx) => {
      if (!(await this.repo.decidePending(tx, agentId, 'approved'))) throw await this.notPending(agentId);
      const decided = await this.repo.agentById(tx, agentId);
      if (decided.desiredRevision > 0) return decided;
      initial = await this.initialRevision.append(tx, agentId, decided.fleetId);
      return this.repo.agentById(tx, agentId);
    });
    if (initial) await this.publisher.publish([initial]);
    this.log.info({ agentId, fleetId: agent.fleetId, by }, 'agent approved');
    return agent;
  }

  async reject(agentId: string, by: string): Promise<Agent> {
    const agent = await this.repo.transaction(async (tx) => {
      if (!(await this.repo.decidePending(tx, agentId, 'rejected'))) throw await this.notPending(agentId);
      return this.repo.agentById(tx, agentId);
    });
    this.log.info({ agentId, fleetId: agent.fleetId, by }, 'agent rejected');
    return agent;
  }

  private async notPending(agentId: string): Promise<AppError> {
    const agent = await this.repo.findAgentById(agentId);
    if (!agent) return new AppError('NOT_FOUND', `No agent ${agentId}`);
    return new AppError('AGENT_NOT_PENDING', `Agent ${agentId} is not waiting for approval (it is ${agent.approval})`);
  }
}
