import { Injectable } from '@nestjs/common';
import type { ConfigRevision, Prisma } from '@prisma/client';
import { AgentConfigSchema, configDigest, describeIssues, parseWith, type AgentConfig, type ConfigRevisionView } from '@edgefleet/protocol';
import { AppError } from '../common/errors/app-error.js';
import type { Pagination } from '../common/http/pagination.js';
import { ConfigPublisher } from '../fleet-broker/config-publisher.service.js';
import { ConfigRevisionRepository, type DesiredConfig } from './config-revision.repository.js';

export function toRevisionView(r: ConfigRevision): ConfigRevisionView {
  return {
    agentId: r.agentId,
    revision: r.revision,
    sha256: r.sha256,
    document: r.document,
    author: r.author,
    comment: r.comment,
    rollbackOf: r.rollbackOf,
    createdAt: r.createdAt.toISOString(),
  };
}

/** Validates a config document and returns its normalized form (defaults applied) and digest. */
export function normalizeConfig(document: unknown): { document: AgentConfig; sha256: string } {
  const parsed = parseWith(AgentConfigSchema, document);
  // Paths are the document's own (`devices[0].groups[1].intervalMs`), as an editor shows them.
  if (!parsed.ok) throw new AppError('VALIDATION_FAILED', describeIssues(parsed.issues), parsed.issues);
  return { document: parsed.value, sha256: configDigest(parsed.value) };
}

/** Desired configs: immutable revisions per agent, published to the agent as soon as stored. */
@Injectable()
export class ConfigService {
  constructor(
    private readonly revisions: ConfigRevisionRepository,
    private readonly publisher: ConfigPublisher,
  ) {}

  async desired(agentId: string): Promise<ConfigRevisionView> {
    const r = await this.revisions.desired(agentId);
    if (!r) throw new AppError('NOT_FOUND', `Agent ${agentId} has no config`);
    return toRevisionView(r);
  }

  async get(agentId: string, revision: number): Promise<ConfigRevisionView> {
    const r = await this.revisions.find(agentId, revision);
    if (!r) throw new AppError('NOT_FOUND', `Agent ${agentId} has no revision ${revision}`);
    return toRevisionView(r);
  }

  async list(agentId: string, page: Pagination): Promise<{ items: ConfigRevisionView[]; total: number; limit: number; offset: number }> {
    const { items, total } = await this.revisions.list(agentId, page);
    return { items: items.map(toRevisionView), total, ...page };
  }

  async put(agentId: string, document: unknown, author: string, comment?: string): Promise<ConfigRevisionView> {
    const normalized = normalizeConfig(document);
    return this.append(agentId, { document: normalized.document as Prisma.InputJsonObject, sha256: normalized.sha256, author, comment: comment ?? null });
  }

  /** Rolling back is moving forward: a new revision carrying an older one's document. */
  async rollback(agentId: string, revision: number, author: string, comment?: string): Promise<ConfigRevisionView> {
    const old = await this.revisions.find(agentId, revision);
    if (!old) throw new AppError('NOT_FOUND', `Agent ${agentId} has no revision ${revision}`);
    return this.append(agentId, {
      document: old.document as Prisma.InputJsonValue,
      sha256: old.sha256,
      author,
      comment: comment ?? `rollback to revision ${revision}`,
      rollbackOf: revision,
    });
  }

  /**
   * Changes the desired config through `edit` (e.g. trusting a server certificate) and stores the
   * result as a new revision, validated and published like any other. `edit` gets the desired
   * document and returns the changed one with a comment, or null when there is nothing to change:
   * then no revision is made and the desired one is returned (`created: false`).
   */
  async amend(
    agentId: string,
    author: string,
    edit: (document: AgentConfig) => { document: unknown; comment: string } | null,
  ): Promise<{ revision: ConfigRevisionView; created: boolean }> {
    const { row, created } = await this.revisions.amend(agentId, (desired) => {
      if (!desired) throw new AppError('NOT_FOUND', `Agent ${agentId} has no config`);
      const change = edit(normalizeConfig(desired.document).document);
      if (!change) return null;
      const normalized = normalizeConfig(change.document);
      return { document: normalized.document as Prisma.InputJsonObject, sha256: normalized.sha256, author, comment: change.comment };
    });
    if (created) this.publishInBackground([row]);
    return { revision: toRevisionView(row), created };
  }

  /** Stores a fleet's template and rolls it out to every agent of the fleet. */
  async putFleet(fleetId: string, document: unknown, author: string, comment?: string): Promise<{ agents: number; revisions: { agentId: string; revision: number }[] }> {
    const normalized = normalizeConfig(document);
    const created = await this.revisions.appendForFleet(fleetId, { document: normalized.document as Prisma.InputJsonObject, sha256: normalized.sha256, author, comment: comment ?? null });
    this.publishInBackground(created);
    return { agents: created.length, revisions: created.map((c) => ({ agentId: c.agentId, revision: c.revision })) };
  }

  /**
   * The revision is stored, so the request has succeeded; delivery does not hold the answer up.
   * A publish lost to a broker outage is repeated by the republish on reconnect.
   */
  private publishInBackground(configs: DesiredConfig[]): void {
    void this.publisher.publish(configs);
  }

  private async append(agentId: string, rev: Parameters<ConfigRevisionRepository['append']>[1]): Promise<ConfigRevisionView> {
    const row = await this.revisions.append(agentId, rev);
    this.publishInBackground([row]);
    return toRevisionView(row);
  }
}
