import { Injectable } from '@nestjs/common';
import type { AuditEntry } from '@prisma/client';
import type { AuditEntryView, AuditPage, AuditQuery, ErrorCode } from '@edgefleet/protocol';
import { AuditRepository } from './audit.repository.js';

export function toAuditEntryView(e: AuditEntry): AuditEntryView {
  return {
    id: e.id,
    at: e.at.toISOString(),
    actor: e.actor,
    actorRole: e.actorRole,
    sourceIp: e.sourceIp,
    action: e.action,
    targetType: e.targetType,
    targetId: e.targetId,
    outcome: e.outcome,
    // Written only from an `ApiError` body or a status's nearest code, both error codes.
    errorCode: e.errorCode as ErrorCode | null,
    before: e.before,
    after: e.after,
    details: e.details,
  };
}

/** Reading the audit log. There is no way to change it through the API. */
@Injectable()
export class AuditService {
  constructor(private readonly repo: AuditRepository) {}

  async list(query: AuditQuery): Promise<AuditPage> {
    const { items, total } = await this.repo.list(query);
    return { items: items.map(toAuditEntryView), total, limit: query.limit, offset: query.offset };
  }
}
