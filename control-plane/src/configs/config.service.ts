import { Injectable } from '@nestjs/common';
import type { ConfigRevision } from '@prisma/client';
import {
  AgentConfigSchema,
  configDigest,
  describeIssues,
  diffConfigs,
  parseWith,
  redactConfigSecrets,
  type AgentConfig,
  type ConfigDiffView,
  type ConfigPreviewDiff,
  type ConfigRevisionView,
} from '@edgefleet/protocol';
import { AuditTrail } from '../audit/audit-trail.js';
import { AppError } from '../common/errors/app-error.js';
import type { Pagination } from '../common/http/pagination.js';
import { ConfigPublisher } from '../fleet-broker/config-publisher.service.js';
import { ConfigRevisionRepository, type DesiredConfig, type NewRevision } from './config-revision.repository.js';
import { keepsStoredSecrets, restoreKeptSecrets } from './config-secrets.js';
import { ConfigSecrets } from './config-secrets.service.js';

/** A revision as the API shows it: secrets redacted, whether the row holds them sealed or (older rows) plain. */
export function toRevisionView(r: ConfigRevision): ConfigRevisionView {
  return {
    agentId: r.agentId,
    revision: r.revision,
    sha256: r.sha256,
    document: redactConfigSecrets(r.document),
    author: r.author,
    comment: r.comment,
    rollbackOf: r.rollbackOf,
    createdAt: r.createdAt.toISOString(),
  };
}

/** A config with the lists of `doc` empty and nothing else: what a first revision is compared with, so each device and sink shows as added. */
function emptyLike(doc: AgentConfig): Record<string, unknown[]> {
  return Object.fromEntries(Object.entries(doc).flatMap(([key, value]) => (Array.isArray(value) ? [[key, []]] : [])));
}

/** Validates a config document and returns its normalized form (defaults applied) and digest. */
export function normalizeConfig(document: unknown): { document: AgentConfig; sha256: string } {
  const parsed = parseWith(AgentConfigSchema, document);
  // Paths are the document's own (`devices[0].groups[1].intervalMs`), as an editor shows them.
  if (!parsed.ok) throw new AppError('VALIDATION_FAILED', describeIssues(parsed.issues), parsed.issues);
  return { document: parsed.value, sha256: configDigest(parsed.value) };
}

/**
 * Desired configs: immutable revisions per agent, published to the agent as soon as stored.
 * Secrets are sealed in every stored row (`config-secrets.ts`), opened only to build what the
 * agent gets, and redacted in every answer; the digest is always over the plaintext document,
 * since that is what the agent checks.
 */
@Injectable()
export class ConfigService {
  constructor(
    private readonly revisions: ConfigRevisionRepository,
    private readonly publisher: ConfigPublisher,
    private readonly secrets: ConfigSecrets,
    private readonly audit: AuditTrail,
  ) {}

  async desired(agentId: string): Promise<ConfigRevisionView> {
    const r = await this.revisions.desired(agentId);
    if (!r) throw new AppError('NOT_FOUND', `Agent ${agentId} has no config`);
    return toRevisionView(r);
  }

  /**
   * A device sent to test or browse as the console got it from the API, with `********` at its
   * secrets: the markers take the secrets of the device of that name in the agent's desired
   * config (a marker with nothing stored there is a 400 naming the field). Without markers the
   * device is returned as it is and nothing is read.
   */
  async withStoredSecrets<D>(agentId: string, device: D): Promise<D> {
    const document = { devices: [device] };
    if (!keepsStoredSecrets(document)) return device;
    const desired = await this.revisions.desired(agentId);
    const restored = restoreKeptSecrets(document, () => (desired ? this.secrets.openRevision(desired) : null)) as { devices: D[] };
    return restored.devices[0]!;
  }

  async get(agentId: string, revision: number): Promise<ConfigRevisionView> {
    return toRevisionView(await this.find(agentId, revision));
  }

  async list(agentId: string, page: Pagination): Promise<{ items: ConfigRevisionView[]; total: number; limit: number; offset: number }> {
    const { items, total } = await this.revisions.list(agentId, page);
    return { items: items.map(toRevisionView), total, ...page };
  }

  /** What changed from revision `from` (default: the one before) to revision `to`; secrets flagged, never shown. */
  async diff(agentId: string, to: number, from: number = to - 1): Promise<ConfigDiffView> {
    const [older, newer] = await Promise.all([this.find(agentId, from), this.find(agentId, to)]);
    return { agentId, from, to, changes: diffConfigs(this.secrets.openRevision(older), this.secrets.openRevision(newer)) };
  }

  /**
   * What storing `document` would change, compared with revision `from` (default: the applied
   * revision, else the desired one). The document is read exactly as `put` reads it (the same
   * 400s; markers take the desired config's secrets), so an unchanged secret shows no change and
   * a changed one shows `secret: true`. Nothing is stored. An agent with no revision yet compares
   * with an empty config: every item is `added`.
   */
  async previewDiff(agentId: string, document: unknown, from?: number): Promise<ConfigPreviewDiff> {
    const numbers = await this.revisions.revisionNumbers(agentId);
    if (!numbers) throw new AppError('NOT_FOUND', `No agent ${agentId}`);
    const desired = numbers.desiredRevision === 0 ? null : await this.revisions.desired(agentId);
    const after = this.resolve(document, desired).document;
    const base = from !== undefined ? await this.find(agentId, from) : await this.defaultBase(agentId, numbers.appliedRevision, desired);
    const before = base ? this.secrets.openRevision(base) : emptyLike(after);
    return { agentId, from: base?.revision ?? null, changes: diffConfigs(before, after) };
  }

  /** Stores a document as the agent's next revision; secrets sent as the marker keep the desired config's. */
  async put(agentId: string, document: unknown, author: string, comment?: string): Promise<ConfigRevisionView> {
    this.audit.note({ action: 'config.put', targetType: 'agent', targetId: agentId });
    const row = keepsStoredSecrets(document)
      ? await this.putKeepingSecrets(agentId, document, author, comment ?? null)
      : await this.revisions.append(agentId, this.revisionOf(normalizeConfig(document), author, comment ?? null));
    await this.noteRevision(row);
    this.publishInBackground([row]);
    return toRevisionView(row);
  }

  /** Rolling back is moving forward: a new revision carrying an older one's document. */
  async rollback(agentId: string, revision: number, author: string, comment?: string): Promise<ConfigRevisionView> {
    this.audit.note({ action: 'config.rollback', targetType: 'agent', targetId: agentId, details: { rollbackTo: revision } });
    const old = await this.find(agentId, revision);
    // Opened and sealed again rather than copied, so a row from before sealing is not copied in clear.
    const document = this.secrets.sealRevision(this.secrets.openRevision(old) as AgentConfig, old.sha256);
    const row = await this.revisions.append(agentId, { document, sha256: old.sha256, author, comment: comment ?? `rollback to revision ${revision}`, rollbackOf: revision });
    await this.noteRevision(row);
    this.publishInBackground([row]);
    return toRevisionView(row);
  }

  /**
   * Changes the desired config through `edit` (e.g. trusting a server certificate) and stores the
   * result as a new revision, validated and published like any other. `edit` gets the desired
   * document (plaintext) and returns the changed one with a comment, or null when there is nothing
   * to change: then no revision is made and the desired one is returned (`created: false`).
   */
  async amend(
    agentId: string,
    author: string,
    edit: (document: AgentConfig) => { document: unknown; comment: string } | null,
  ): Promise<{ revision: ConfigRevisionView; created: boolean }> {
    const { row, created } = await this.revisions.amend(agentId, (desired) => {
      if (!desired) throw new AppError('NOT_FOUND', `Agent ${agentId} has no config`);
      const change = edit(normalizeConfig(this.secrets.openRevision(desired)).document);
      if (!change) return null;
      return this.revisionOf(normalizeConfig(change.document), author, change.comment);
    });
    if (created) {
      await this.noteRevision(row);
      this.publishInBackground([row]);
    } else {
      this.audit.note({ before: { revision: row.revision }, after: { revision: row.revision }, details: { changed: false } });
    }
    return { revision: toRevisionView(row), created };
  }

  /**
   * Stores a fleet's template and rolls it out to every agent of the fleet. Secrets sent as the
   * marker keep the template's.
   */
  async putFleet(fleetId: string, document: unknown, author: string, comment?: string): Promise<{ agents: number; revisions: { agentId: string; revision: number }[] }> {
    this.audit.note({ action: 'fleet.config.put', targetType: 'fleet', targetId: fleetId, ...(comment !== undefined ? { details: { comment } } : {}) });
    const created = await this.revisions.appendForFleet(fleetId, (template) => {
      const normalized = normalizeConfig(restoreKeptSecrets(document, () => this.secrets.openTemplate(template, fleetId)));
      return { template: this.secrets.sealTemplate(normalized.document, fleetId), revision: this.revisionOf(normalized, author, comment ?? null) };
    });
    this.publishInBackground(created);
    this.audit.note({ after: { revisions: created.map((c) => ({ agentId: c.agentId, revision: c.revision })) }, details: { agents: created.length } });
    return { agents: created.length, revisions: created.map((c) => ({ agentId: c.agentId, revision: c.revision })) };
  }

  /** The desired config whose secrets the markers keep is read under the agent row's lock, so a concurrent PUT cannot slip in between. */
  private async putKeepingSecrets(agentId: string, document: unknown, author: string, comment: string | null): Promise<ConfigRevision> {
    const { row } = await this.revisions.amend(agentId, (desired) => this.revisionOf(this.resolve(document, desired), author, comment));
    return row;
  }

  /** A document as sent to PUT, made whole: markers take the secrets of `desired`, then validated and normalized. */
  private resolve(document: unknown, desired: ConfigRevision | null): { document: AgentConfig; sha256: string } {
    return normalizeConfig(restoreKeptSecrets(document, () => (desired ? this.secrets.openRevision(desired) : null)));
  }

  /** The applied revision, else the desired one (also when the applied one is not among the agent's revisions). */
  private async defaultBase(agentId: string, applied: number | null, desired: ConfigRevision | null): Promise<ConfigRevision | null> {
    if (applied === null || applied === desired?.revision) return desired;
    return (await this.revisions.find(agentId, applied)) ?? desired;
  }

  /**
   * Tells the audit log what a new revision changed: the revision numbers and the diff from the
   * one before (redacted by `diffConfigs`), never the documents, which hold secrets.
   */
  private async noteRevision(row: ConfigRevision): Promise<void> {
    const previous = row.revision > 1 ? await this.revisions.find(row.agentId, row.revision - 1) : null;
    const after = this.secrets.openRevision(row) as AgentConfig;
    const changes = diffConfigs(previous ? this.secrets.openRevision(previous) : emptyLike(after), after);
    this.audit.note({
      before: { revision: previous?.revision ?? null },
      after: { revision: row.revision, sha256: row.sha256 },
      details: { changes, ...(row.comment !== null ? { comment: row.comment } : {}), ...(row.rollbackOf !== null ? { rollbackOf: row.rollbackOf } : {}) },
    });
  }

  private async find(agentId: string, revision: number): Promise<ConfigRevision> {
    const r = await this.revisions.find(agentId, revision);
    if (!r) throw new AppError('NOT_FOUND', `Agent ${agentId} has no revision ${revision}`);
    return r;
  }

  private revisionOf(normalized: { document: AgentConfig; sha256: string }, author: string, comment: string | null): NewRevision {
    return { document: this.secrets.sealRevision(normalized.document, normalized.sha256), sha256: normalized.sha256, author, comment };
  }

  /**
   * The revision is stored, so the request has succeeded; delivery does not hold the answer up.
   * A publish lost to a broker outage is repeated by the republish on reconnect.
   */
  private publishInBackground(configs: DesiredConfig[]): void {
    void this.publisher.publish(configs);
  }
}
