import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { Prisma } from '@prisma/client';
import type { Logger } from 'pino';
import type { EnrollmentRequest, EnrollmentResponse } from '@edgefleet/protocol';
import { FLEET_CA } from '../app/runtime.js';
import { Clock } from '../common/clock.js';
import { AppError } from '../common/errors/app-error.js';
import { ROOT_LOGGER } from '../common/logging/logger.js';
import { SETTINGS, type Settings } from '../config/settings.js';
import { ConfigRevisionRepository, type DesiredConfig } from '../configs/config-revision.repository.js';
import { ConfigSecrets } from '../configs/config-secrets.service.js';
import { normalizeConfig } from '../configs/config.service.js';
import { hashToken } from '../crypto/tokens.js';
import { ConfigPublisher } from '../fleet-broker/config-publisher.service.js';
import { CertificateAuthority, CsrError } from '../pki/certificate-authority.js';
import { EnrollmentRepository } from './enrollment.repository.js';
import { tokenProblem } from './token-check.js';

/** Agent certificates live 90 days; renewal before expiry is a later step. */
export const AGENT_CERT_VALIDITY_DAYS = 90;

/**
 * Zero-touch enrollment: a box presents a token, its hardware id and a CSR; it gets an identity
 * (agent id = certificate CN), a certificate and where to connect. The same (fleet, hardware id)
 * finds its agent again, so a re-imaged box re-enrolls instead of duplicating itself. Only new
 * agents count against a token's use limit.
 */
@Injectable()
export class EnrollmentService {
  private readonly log: Logger;

  constructor(
    private readonly repo: EnrollmentRepository,
    private readonly revisions: ConfigRevisionRepository,
    private readonly publisher: ConfigPublisher,
    private readonly secrets: ConfigSecrets,
    private readonly clock: Clock,
    @Inject(FLEET_CA) private readonly ca: CertificateAuthority,
    @Inject(SETTINGS) private readonly settings: Settings,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.log = root.child({ component: 'enrollment' });
  }

  async enroll(req: EnrollmentRequest): Promise<EnrollmentResponse> {
    const token = await this.repo.findTokenByHash(hashToken(req.token));
    const early = tokenProblem(token, this.clock.now(), false);
    if (early || !token) throw new AppError(early ?? 'TOKEN_INVALID');
    // Two first enrollments of one box can race on the (fleet, hardwareId) key; the loser retries and re-finds.
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.enrollWith(token.id, token.fleetId, token.labels, req);
      } catch (err) {
        if (attempt === 0 && err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') continue;
        throw err;
      }
    }
  }

  private async enrollWith(tokenId: string, fleetId: string, labels: Prisma.JsonValue, req: EnrollmentRequest): Promise<EnrollmentResponse> {
    let initial: DesiredConfig | undefined;
    const result = await this.repo.transaction(async (tx) => {
      const existing = await this.repo.findAgent(tx, fleetId, req.hardwareId);
      const agentId = existing?.id ?? randomUUID();
      if (!existing && !(await this.repo.takeUse(tx, tokenId))) throw new AppError('TOKEN_EXHAUSTED');
      const cert = await this.sign(req.csr, agentId);
      const name = req.name ?? existing?.name ?? req.facts.hostname ?? `agent-${agentId.slice(0, 8)}`;
      const certFields = { certSerial: cert.serialNumber, certExpiresAt: cert.notAfter };
      const facts = req.facts as Prisma.InputJsonObject;
      if (existing) {
        await this.repo.updateAgent(tx, agentId, { name, facts, agentVersion: req.facts.agentVersion ?? existing.agentVersion, ...certFields });
      } else {
        await this.repo.createAgent(tx, {
          id: agentId,
          fleetId,
          name,
          hardwareId: req.hardwareId,
          facts,
          labels: (labels ?? {}) as Prisma.InputJsonValue,
          enrollmentTokenId: tokenId,
          agentVersion: req.facts.agentVersion ?? null,
          ...certFields,
        });
        const { template } = await this.repo.fleetTemplate(tx, fleetId);
        const normalized = normalizeConfig(this.secrets.openTemplate(template, fleetId));
        const document = this.secrets.sealRevision(normalized.document, normalized.sha256);
        initial = await this.revisions.append(agentId, { document, sha256: normalized.sha256, author: 'enrollment', comment: 'fleet template' }, tx);
      }
      return { agentId, name, cert, reenrolled: !!existing };
    });
    if (initial) await this.publisher.publish([initial]);
    this.log.info({ agentId: result.agentId, fleetId, reenrolled: result.reenrolled }, 'agent enrolled');
    return {
      agentId: result.agentId,
      fleetId,
      name: result.name,
      certificate: result.cert.certPem,
      certificateExpiresAt: result.cert.notAfter.toISOString(),
      caChain: [this.ca.certPem],
      brokerUrl: this.settings.publicBrokerUrl,
    };
  }

  private async sign(csr: string, agentId: string) {
    try {
      return await this.ca.signClientCsr(csr, agentId, AGENT_CERT_VALIDITY_DAYS);
    } catch (err) {
      if (err instanceof CsrError) throw new AppError('CSR_INVALID', `The certificate signing request is not valid: ${err.message}`);
      throw err;
    }
  }
}
