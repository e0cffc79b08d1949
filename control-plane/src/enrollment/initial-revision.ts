import { Injectable } from '@nestjs/common';
import type { Prisma } from '@prisma/client';
import { ConfigRevisionRepository, type DesiredConfig } from '../configs/config-revision.repository.js';
import { ConfigSecrets } from '../configs/config-secrets.service.js';
import { normalizeConfig } from '../configs/config.service.js';
import { EnrollmentRepository } from './enrollment.repository.js';

/**
 * An agent's first config: its fleet's template as revision 1. Made when an agent is enrolled
 * without approval, or when an operator approves a pending one; the caller publishes it once its
 * transaction has committed.
 */
@Injectable()
export class InitialRevision {
  constructor(
    private readonly repo: EnrollmentRepository,
    private readonly revisions: ConfigRevisionRepository,
    private readonly secrets: ConfigSecrets,
  ) {}

  async append(tx: Prisma.TransactionClient, agentId: string, fleetId: string): Promise<DesiredConfig> {
    const { template } = await this.repo.fleetTemplate(tx, fleetId);
    const normalized = normalizeConfig(this.secrets.openTemplate(template, fleetId));
    const document = this.secrets.sealRevision(normalized.document, normalized.sha256);
    return this.revisions.append(agentId, { document, sha256: normalized.sha256, author: 'enrollment', comment: 'fleet template' }, tx);
  }
}
