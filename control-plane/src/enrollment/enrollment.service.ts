import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { Prisma, type Agent, type EnrollmentToken } from '@prisma/client';
import type { Logger } from 'pino';
import { DEFAULT_ENROLLMENT_RETRY_AFTER_SEC, type EnrollmentPending, type EnrollmentRequest, type EnrollmentResponse } from '@edgefleet/protocol';
import { FLEET_CA } from '../app/runtime.js';
import { Clock } from '../common/clock.js';
import { AuditTrail } from '../audit/audit-trail.js';
import { AppError } from '../common/errors/app-error.js';
import { ROOT_LOGGER } from '../common/logging/logger.js';
import { SETTINGS, type Settings } from '../config/settings.js';
import type { DesiredConfig } from '../configs/config-revision.repository.js';
import { hashToken } from '../crypto/tokens.js';
import { ConfigPublisher } from '../fleet-broker/config-publisher.service.js';
import { CertificateAuthority, CsrError, type IssuedCertificate } from '../pki/certificate-authority.js';
import { csrKeySha256 } from './csr-key.js';
import { EnrollmentRepository } from './enrollment.repository.js';
import { enrollmentStep, reenrollment, type EnrollmentStep } from './enrollment-step.js';
import { InitialRevision } from './initial-revision.js';

/** Agent certificates live 90 days; renewal before expiry is a later step. */
export const AGENT_CERT_VALIDITY_DAYS = 90;

/** The answer to one enrollment request: an identity (`201`), or "ask again later" (`202`). */
export type EnrollmentOutcome = { status: 'enrolled'; body: EnrollmentResponse } | { status: 'pending'; body: EnrollmentPending };

type Tx = Prisma.TransactionClient;

/**
 * What a transaction hands back to be answered: a certificate, or a pending agent. `keyChanged`:
 * an approved agent re-enrolled with another key than its certificate's (a re-imaged box).
 */
type Settled =
  | { kind: 'issued'; agentId: string; name: string; cert: IssuedCertificate; reenrolled: boolean; keyChanged: boolean; initial?: DesiredConfig }
  | { kind: 'pending'; agentId: string; created: boolean; keyChanged: boolean };

/** An answer, and whether the request made or changed a record (what the audit trail notes). */
type Answered = EnrollmentOutcome & { created?: boolean; keyChanged?: boolean };

/**
 * Zero-touch enrollment: a box presents a token, its hardware id and a CSR; it gets an identity
 * (agent id = certificate CN), a certificate and where to connect. The same (fleet, hardware id)
 * finds its agent again, so a re-imaged box re-enrolls instead of duplicating itself. Only new
 * agents count against a token's use limit. Each agent row keeps the key of its current
 * certificate, so a re-enrollment with another key is told apart: refused while the agent is
 * connected, sent back to approval under a token that requires it (see `reenrollment`).
 *
 * With a token that requires approval, a new box is recorded `pending`, bound to the key of its
 * CSR, and answered `202` without a certificate; it asks again with the same CSR until an operator
 * approves it (then it gets its certificate) or rejects it (`403 ENROLLMENT_REJECTED`). The rules
 * per request are in `enrollmentStep`.
 */
@Injectable()
export class EnrollmentService {
  private readonly log: Logger;

  constructor(
    private readonly repo: EnrollmentRepository,
    private readonly initialRevision: InitialRevision,
    private readonly publisher: ConfigPublisher,
    private readonly clock: Clock,
    @Inject(FLEET_CA) private readonly ca: CertificateAuthority,
    @Inject(SETTINGS) private readonly settings: Settings,
    @Inject(ROOT_LOGGER) root: Logger,
    private readonly audit: AuditTrail,
  ) {
    this.log = root.child({ component: 'enrollment' });
  }

  /**
   * Audited (`agent.enroll`, actor `enrollment`) when a certificate is issued, a box starts
   * waiting for approval (again, with `keyChanged`, when a re-imaged box goes back to approval),
   * or the request is refused; a poll of a box still waiting is not.
   */
  async enroll(req: EnrollmentRequest): Promise<EnrollmentOutcome> {
    try {
      const { created, keyChanged, ...outcome } = await this.enrollChecked(req);
      if (outcome.status === 'enrolled' || created || keyChanged) {
        this.audit.note({
          action: 'agent.enroll',
          actor: 'enrollment',
          targetType: 'agent',
          targetId: outcome.body.agentId,
          details: {
            hardwareId: req.hardwareId,
            fleetId: outcome.body.fleetId,
            ...(outcome.status === 'pending' ? { pending: true } : {}),
            ...(keyChanged ? { keyChanged: true } : {}),
          },
        });
      }
      return outcome;
    } catch (err) {
      this.audit.note({ action: 'agent.enroll', actor: 'enrollment', targetType: 'agent', details: { hardwareId: req.hardwareId } });
      throw err;
    }
  }

  private async enrollChecked(req: EnrollmentRequest): Promise<Answered> {
    const token = await this.repo.findTokenByHash(hashToken(req.token));
    // Unknown and revoked tokens look alike (see `tokenProblem`); the rest is decided per agent.
    if (!token || token.revokedAt) throw new AppError('TOKEN_INVALID');
    // Two first enrollments of one box can race on the (fleet, hardwareId) key; the loser retries and re-finds.
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.enrollWith(token, req);
      } catch (err) {
        if (attempt === 0 && err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') continue;
        throw err;
      }
    }
  }

  private async enrollWith(token: EnrollmentToken, req: EnrollmentRequest): Promise<Answered> {
    const fleetId = token.fleetId;
    const settled = await this.repo.transaction(async (tx): Promise<Settled> => {
      const existing = await this.repo.findAgent(tx, fleetId, req.hardwareId);
      const step = enrollmentStep(token, existing, this.clock.now());
      switch (step.kind) {
        case 'new':
          return step.approval === 'pending' ? this.createPending(tx, token, req) : this.createApproved(tx, token, req);
        case 'bound':
          return this.answerBound(tx, step, req);
        case 'reenroll':
          return this.reenroll(tx, token, step.agent, req);
      }
    });

    if (settled.kind === 'pending') {
      if (settled.created || settled.keyChanged) {
        this.log.info({ agentId: settled.agentId, fleetId, hardwareId: req.hardwareId, keyChanged: settled.keyChanged }, 'agent waits for approval');
      }
      return {
        status: 'pending',
        created: settled.created,
        keyChanged: settled.keyChanged,
        body: { status: 'pending', agentId: settled.agentId, fleetId, retryAfterSec: DEFAULT_ENROLLMENT_RETRY_AFTER_SEC },
      };
    }
    if (settled.initial) await this.publisher.publish([settled.initial]);
    this.log.info({ agentId: settled.agentId, fleetId, reenrolled: settled.reenrolled, keyChanged: settled.keyChanged }, 'agent enrolled');
    return {
      status: 'enrolled',
      keyChanged: settled.keyChanged,
      body: {
        agentId: settled.agentId,
        fleetId,
        name: settled.name,
        certificate: settled.cert.certPem,
        certificateExpiresAt: settled.cert.notAfter.toISOString(),
        caChain: [this.ca.certPem],
        brokerUrl: this.settings.publicBrokerUrl,
      },
    };
  }

  /**
   * An approved agent with a certificate enrolling again. The same key gets a new certificate for
   * the same identity; another key is a re-imaged box (or a box claiming its hardware id): refused
   * while the agent is connected, sent back to approval under a token that requires it (no
   * certificate, no use counted, its config revisions kept), else given a certificate for the new key.
   */
  private async reenroll(tx: Tx, token: EnrollmentToken, agent: Agent, req: EnrollmentRequest): Promise<Settled> {
    const key = await this.keyOf(req.csr);
    const way = reenrollment(token, agent, key);
    const fields = this.reported(req, agent.id, agent);
    if (way === 'approve-again') {
      // The old certificate's serial and key stay recorded until the new one is issued on pickup.
      await this.repo.updateAgent(tx, agent.id, { ...fields, approval: 'pending', approvalKeySha256: key, approvalRequestedAt: this.clock.now() });
      return { kind: 'pending', agentId: agent.id, created: false, keyChanged: true };
    }
    const cert = await this.sign(req.csr, agent.id);
    await this.repo.updateAgent(tx, agent.id, { ...fields, ...certFields(cert, key) });
    return { kind: 'issued', agentId: agent.id, name: fields.name, cert, reenrolled: true, keyChanged: way === 'new-key' };
  }

  /**
   * A box recorded under an approval token and not yet certified: only the key of its first
   * request is answered. Pending: `202` again (facts and name refreshed). Approved: its first
   * certificate, after which it re-enrolls as any other agent.
   */
  private async answerBound(tx: Tx, step: Extract<EnrollmentStep<Agent>, { kind: 'bound' }>, req: EnrollmentRequest): Promise<Settled> {
    const { agent } = step;
    const key = await this.keyOf(req.csr);
    if (step.keySha256 !== null && key !== step.keySha256) {
      throw new AppError(
        'ENROLLMENT_KEY_MISMATCH',
        `Hardware id ${req.hardwareId} is already bound in this fleet (agent ${agent.id}, ${step.approval === 'pending' ? 'waiting for approval' : 'approved, waiting for its first certificate'}) to a request made with another key; only the box that asked first can take that identity. If the box was reinstalled, delete the agent record and let it ask again.`,
      );
    }
    const fields = this.reported(req, agent.id, agent);
    if (step.approval === 'pending') {
      await this.repo.updateAgent(tx, agent.id, { ...fields, approvalKeySha256: key });
      return { kind: 'pending', agentId: agent.id, created: false, keyChanged: false };
    }
    const cert = await this.sign(req.csr, agent.id);
    // enrolledAt becomes the time the box got its identity; approvalRequestedAt keeps when it asked.
    await this.repo.updateAgent(tx, agent.id, { ...fields, ...certFields(cert, key), approvalKeySha256: null, enrolledAt: this.clock.now() });
    return { kind: 'issued', agentId: agent.id, name: fields.name, cert, reenrolled: false, keyChanged: false };
  }

  /** A new agent with a certificate and the fleet template as revision 1 (a token without approval). */
  private async createApproved(tx: Tx, token: EnrollmentToken, req: EnrollmentRequest): Promise<Settled> {
    const agentId = randomUUID();
    const key = await this.keyOf(req.csr);
    if (!(await this.repo.takeUse(tx, token.id))) throw new AppError('TOKEN_EXHAUSTED');
    const cert = await this.sign(req.csr, agentId);
    const fields = this.reported(req, agentId);
    await this.repo.createAgent(tx, { ...this.newAgent(token, req, agentId), ...fields, ...certFields(cert, key) });
    const initial = await this.initialRevision.append(tx, agentId, token.fleetId);
    return { kind: 'issued', agentId, name: fields.name, cert, reenrolled: false, keyChanged: false, initial };
  }

  /** A new agent waiting for an operator: no certificate, no config, bound to the key of this CSR. */
  private async createPending(tx: Tx, token: EnrollmentToken, req: EnrollmentRequest): Promise<Settled> {
    const agentId = randomUUID();
    // Checked before the use is counted, so a bad CSR spends no use.
    const key = await this.keyOf(req.csr);
    if (!(await this.repo.takeUse(tx, token.id))) throw new AppError('TOKEN_EXHAUSTED');
    await this.repo.createAgent(tx, {
      ...this.newAgent(token, req, agentId),
      ...this.reported(req, agentId),
      approval: 'pending',
      approvalKeySha256: key,
      approvalRequestedAt: this.clock.now(),
    });
    return { kind: 'pending', agentId, created: true, keyChanged: false };
  }

  private newAgent(token: EnrollmentToken, req: EnrollmentRequest, agentId: string) {
    return {
      id: agentId,
      fleetId: token.fleetId,
      hardwareId: req.hardwareId,
      labels: (token.labels ?? {}) as Prisma.InputJsonValue,
      enrollmentTokenId: token.id,
    };
  }

  /** What every request updates: the name (a proposed one wins, else the one the agent has), the facts and the agent version. */
  private reported(req: EnrollmentRequest, agentId: string, existing?: Agent) {
    return {
      name: req.name ?? existing?.name ?? req.facts.hostname ?? `agent-${agentId.slice(0, 8)}`,
      facts: req.facts as Prisma.InputJsonObject,
      agentVersion: req.facts.agentVersion ?? existing?.agentVersion ?? null,
    };
  }

  private async keyOf(csr: string): Promise<string> {
    try {
      return await csrKeySha256(csr);
    } catch (err) {
      if (err instanceof CsrError) throw csrInvalid(err);
      throw err;
    }
  }

  private async sign(csr: string, agentId: string): Promise<IssuedCertificate> {
    try {
      return await this.ca.signClientCsr(csr, agentId, AGENT_CERT_VALIDITY_DAYS);
    } catch (err) {
      if (err instanceof CsrError) throw csrInvalid(err);
      throw err;
    }
  }
}

function csrInvalid(err: CsrError): AppError {
  return new AppError('CSR_INVALID', `The certificate signing request is not valid: ${err.message}`);
}

/** A certificate just issued, and the key it certifies (the CSR's, checked by `csrKeySha256`). */
function certFields(cert: IssuedCertificate, keySha256: string) {
  return { certSerial: cert.serialNumber, certExpiresAt: cert.notAfter, certKeySha256: keySha256 };
}
