import { Inject, Injectable } from '@nestjs/common';
import type { EnrollmentToken, Prisma } from '@prisma/client';
import { EnrollmentTokenViewSchema, type CreateEnrollmentTokenRequest, type EnrollmentTokenCreated, type EnrollmentTokenView } from '@edgefleet/protocol';
import { FLEET_CA, RuntimeInfo } from '../app/runtime.js';
import { Clock } from '../common/clock.js';
import { AuditTrail } from '../audit/audit-trail.js';
import { AppError } from '../common/errors/app-error.js';
import { hashToken, newToken } from '../crypto/tokens.js';
import type { CertificateAuthority } from '../pki/certificate-authority.js';
import { DEFAULT_FLEET_NAME, defaultFleetTemplate } from './default-fleet-template.js';
import { EnrollmentTokenRepository } from './enrollment-token.repository.js';
import { FleetRepository } from './fleet.repository.js';
import { toFleetView, type FleetView } from './fleet-view.js';

const TokenLabelsSchema = EnrollmentTokenViewSchema.shape.labels;

function toTokenView(t: EnrollmentToken): EnrollmentTokenView {
  const labels = TokenLabelsSchema.safeParse(t.labels);
  return {
    id: t.id,
    fleetId: t.fleetId,
    description: t.description,
    labels: labels.success ? labels.data : {},
    expiresAt: t.expiresAt.toISOString(),
    maxUses: t.maxUses,
    uses: t.uses,
    requiresApproval: t.requiresApproval,
    revokedAt: t.revokedAt?.toISOString() ?? null,
    createdBy: t.createdBy,
    createdAt: t.createdAt.toISOString(),
  };
}

@Injectable()
export class FleetsService {
  constructor(
    private readonly fleets: FleetRepository,
    private readonly tokens: EnrollmentTokenRepository,
    private readonly clock: Clock,
    private readonly runtime: RuntimeInfo,
    @Inject(FLEET_CA) private readonly ca: CertificateAuthority,
    private readonly audit: AuditTrail,
  ) {}

  /** The default template holds no secret, so it is stored as it is (templates with secrets come through `ConfigService.putFleet`). */
  async ensureDefaultFleet(): Promise<void> {
    await this.fleets.ensure(DEFAULT_FLEET_NAME, 'Fleet new agents join by default', defaultFleetTemplate() as Prisma.InputJsonObject);
  }

  async list(): Promise<FleetView[]> {
    return (await this.fleets.list()).map(toFleetView);
  }

  async get(id: string): Promise<FleetView> {
    const f = await this.fleets.findById(id);
    if (!f) throw new AppError('NOT_FOUND', `No fleet ${id}`);
    return toFleetView(f);
  }

  /** Creates a token; the token itself is in this answer only, the database keeps its hash. */
  async createEnrollmentToken(fleetId: string, req: CreateEnrollmentTokenRequest, createdBy: string): Promise<EnrollmentTokenCreated> {
    this.audit.note({ action: 'enrollment-token.create', targetType: 'fleet', targetId: fleetId });
    await this.get(fleetId);
    const token = newToken();
    const expiresAt = new Date(this.clock.now().getTime() + req.expiresInSec * 1000);
    const row = await this.tokens.create({
      fleetId,
      tokenHash: hashToken(token),
      description: req.description ?? null,
      labels: req.labels,
      expiresAt,
      maxUses: req.maxUses ?? null,
      requiresApproval: req.requiresApproval,
      createdBy,
    });
    // What the token allows, never the token itself.
    this.audit.note({
      targetType: 'enrollment-token',
      targetId: row.id,
      after: { description: row.description, labels: req.labels, expiresAt: expiresAt.toISOString(), maxUses: row.maxUses, requiresApproval: row.requiresApproval },
      details: { fleetId },
    });
    return {
      id: row.id,
      fleetId,
      token,
      expiresAt: expiresAt.toISOString(),
      maxUses: row.maxUses,
      labels: req.labels,
      requiresApproval: row.requiresApproval,
      bootstrap: { controlPlaneUrl: this.runtime.apiUrl, token, caFingerprint: this.ca.fingerprint },
    };
  }

  async listEnrollmentTokens(fleetId: string): Promise<EnrollmentTokenView[]> {
    await this.get(fleetId);
    return (await this.tokens.listForFleet(fleetId)).map(toTokenView);
  }

  /**
   * Revokes a token: enrollment with it is refused from now on (`TOKEN_INVALID`, as for an unknown
   * token). Agents it enrolled keep their identity. Revoking again changes nothing.
   */
  async revokeEnrollmentToken(fleetId: string, tokenId: string): Promise<void> {
    this.audit.note({ action: 'enrollment-token.revoke', targetType: 'enrollment-token', targetId: tokenId, details: { fleetId } });
    await this.get(fleetId);
    if (!(await this.tokens.revoke(fleetId, tokenId, this.clock.now()))) throw new AppError('NOT_FOUND', `Fleet ${fleetId} has no enrollment token ${tokenId}`);
  }
}
