import {
  AgentConfigSchema,
  PutConfigRequestSchema,
  RollbackRequestSchema,
  SECRET_MARKER,
  describeIssues,
  diffConfigs,
  listConfigSecrets,
  mapConfigSecrets,
  parseWith,
  redactConfigSecrets,
  type AgentConfig,
  type AgentView,
  type ConfigRevisionView,
  type ValidationIssue,
} from '@edgefleet/protocol';
import { agentView } from '../test-support/agent-view';

/**
 * A control plane for the editor's tests that answers the config API the way the real one does:
 * documents validated with `parseWith(AgentConfigSchema, …)` (400 VALIDATION_FAILED with the
 * issues), `SECRET_MARKER` restored from the desired revision by device/sink name (a marker with
 * nothing stored is a 400 naming the field), secrets redacted in every answer, revisions numbered
 * from 1, and the diff computed by the control plane's own `diffConfigs` against the applied
 * revision.
 */
export interface Revision {
  revision: number;
  /** Plaintext, normalized: what the agent would get. */
  document: AgentConfig;
  author: string;
  comment: string | null;
  rollbackOf: number | null;
  createdAt: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  body: unknown;
}

class NotFound extends Error {}

class ValidationFailed extends Error {
  constructor(readonly issues: ValidationIssue[]) {
    super(describeIssues(issues));
  }
}

export class FakeConfigApi {
  readonly requests: RecordedRequest[] = [];
  readonly revisions: Revision[] = [];
  agent: AgentView;
  /** Issue paths of the diff endpoint prefixed `document.`, as a pipe validating the body field reports them. */
  prefixDiffIssues = false;
  /** False: a control plane from before `POST …/config/diff`, which answers that route 404. */
  diffAvailable = true;

  constructor(
    readonly agentId: string,
    initial: { documents?: unknown[]; applied?: number | null } = {},
  ) {
    for (const d of initial.documents ?? []) this.store(d, 'alice', `revision ${this.revisions.length + 1}`);
    const desired = this.revisions.length || null;
    const applied = initial.applied === undefined ? desired : initial.applied;
    this.agent = agentView({
      id: agentId,
      fleetId: 'fleet-1',
      lastSeenAt: new Date().toISOString(),
      desiredRevision: desired,
      appliedRevision: applied,
      syncStatus: desired === applied ? 'IN_SYNC' : 'PENDING',
    });
  }

  get desired(): Revision | undefined {
    return this.revisions[this.revisions.length - 1];
  }

  /** The agent applies the desired revision. */
  apply(): void {
    this.agent = { ...this.agent, appliedRevision: this.agent.desiredRevision, syncStatus: 'IN_SYNC' };
  }

  readonly fetch: typeof fetch = async (input, init) => {
    const url = new URL(String(input), 'http://console.test');
    const method = init?.method ?? 'GET';
    const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined;
    const path = url.pathname.replace(/^\/api\/v1/, '');
    this.requests.push({ method, path, body });
    try {
      return this.route(method, path, body, url.searchParams);
    } catch (err) {
      if (err instanceof ValidationFailed) return json(400, { statusCode: 400, code: 'VALIDATION_FAILED', message: err.message, issues: err.issues });
      if (err instanceof NotFound) return json(404, { statusCode: 404, code: 'NOT_FOUND', message: err.message });
      throw err;
    }
  };

  private route(method: string, path: string, body: unknown, query: URLSearchParams): Response {
    const base = `/agents/${this.agentId}`;
    if (method === 'GET' && path === `${base}/config/revisions`) {
      const limit = Number(query.get('limit') ?? 50);
      const offset = Number(query.get('offset') ?? 0);
      const newestFirst = [...this.revisions].reverse();
      return json(200, { items: newestFirst.slice(offset, offset + limit).map((r) => this.view(r)), total: this.revisions.length, limit, offset });
    }
    const diff = new RegExp(`^${base}/config/revisions/(\\d+)/diff$`).exec(path);
    if (method === 'GET' && diff) {
      const to = Number(diff[1]);
      const from = Number(query.get('from') ?? to - 1);
      return json(200, { agentId: this.agentId, from, to, changes: diffConfigs(this.find(from).document, this.find(to).document) });
    }
    if (method === 'POST' && path === `${base}/config/rollback`) {
      const parsed = parseWith(RollbackRequestSchema, body ?? {});
      if (!parsed.ok) throw new ValidationFailed(parsed.issues);
      const request = parsed.value;
      const old = this.find(request.revision);
      const r: Revision = { ...old, revision: this.revisions.length + 1, author: 'test-user', comment: request.comment ?? `rollback to revision ${old.revision}`, rollbackOf: old.revision, createdAt: new Date(Date.UTC(2026, 11, 3, 10, this.revisions.length)).toISOString() };
      this.revisions.push(r);
      this.agent = { ...this.agent, desiredRevision: r.revision, syncStatus: 'PENDING' };
      return json(201, this.view(r));
    }
    if (method === 'GET' && path === base) return json(200, this.agent);
    if (method === 'GET' && path === `${base}/config`) {
      const r = this.desired;
      return r ? json(200, this.view(r)) : json(404, { statusCode: 404, code: 'NOT_FOUND', message: `Agent ${this.agentId} has no config` });
    }
    if (method === 'POST' && path === `${base}/config/diff` && this.diffAvailable) {
      const request = checkBody(body);
      let document: AgentConfig;
      try {
        document = this.normalize(request.document);
      } catch (err) {
        if (err instanceof ValidationFailed && this.prefixDiffIssues) throw new ValidationFailed(err.issues.map((i) => ({ ...i, path: `document.${i.path}` })));
        throw err;
      }
      // As `ConfigService.previewDiff`: against the applied revision, else the desired one; with
      // neither, against the document's lists left empty (every item is `added`).
      const applied = this.agent.appliedRevision;
      const base = (applied !== null ? this.revisions.find((r) => r.revision === applied) : undefined) ?? this.desired;
      const before = base ? base.document : Object.fromEntries(Object.entries(document).flatMap(([k, v]) => (Array.isArray(v) ? [[k, []]] : [])));
      return json(200, { agentId: this.agentId, from: base?.revision ?? null, changes: diffConfigs(before, document) });
    }
    if (method === 'PUT' && path === `${base}/config`) {
      const request = checkBody(body);
      const r = this.store(request.document, 'test-user', request.comment ?? null);
      this.agent = { ...this.agent, desiredRevision: r.revision, syncStatus: 'PENDING' };
      return json(201, this.view(r));
    }
    return json(404, { statusCode: 404, code: 'NOT_FOUND', message: `Cannot ${method} ${path}` });
  }

  private store(input: unknown, author: string, comment: string | null): Revision {
    const r: Revision = { revision: this.revisions.length + 1, document: this.normalize(input), author, comment, rollbackOf: null, createdAt: new Date(Date.UTC(2026, 11, 3, 10, this.revisions.length)).toISOString() };
    this.revisions.push(r);
    return r;
  }

  /** As `ConfigService.put`: markers take the desired revision's secrets, then the document is validated and normalized. */
  private normalize(input: unknown): AgentConfig {
    const markers = listConfigSecrets(input).filter((s) => s.value === SECRET_MARKER);
    let restored = input;
    if (markers.length > 0) {
      const stored = new Map(listConfigSecrets(this.desired?.document ?? null).map((s) => [s.key, s.value]));
      const missing = markers.filter((m) => typeof stored.get(m.key) !== 'string');
      if (missing.length > 0) {
        throw new ValidationFailed(missing.map((m) => ({ path: m.location, message: `is '${SECRET_MARKER}' (keep the stored secret), but the current config has no secret here to keep; send the secret itself` })));
      }
      restored = mapConfigSecrets(input, (s) => (s.value === SECRET_MARKER ? stored.get(s.key) : s.value));
    }
    const parsed = parseWith(AgentConfigSchema, restored);
    if (!parsed.ok) throw new ValidationFailed(parsed.issues);
    return parsed.value;
  }

  private find(revision: number): Revision {
    const r = this.revisions.find((x) => x.revision === revision);
    if (!r) throw new NotFound(`Agent ${this.agentId} has no revision ${revision}`);
    return r;
  }

  private view(r: Revision): ConfigRevisionView {
    return {
      agentId: this.agentId,
      revision: r.revision,
      sha256: `sha-${r.revision}`,
      document: redactConfigSecrets(r.document),
      author: r.author,
      comment: r.comment,
      rollbackOf: r.rollbackOf,
      createdAt: r.createdAt,
    };
  }
}

function checkBody(body: unknown): { document: unknown; comment?: string | undefined } {
  const parsed = parseWith(PutConfigRequestSchema, body ?? {});
  if (!parsed.ok) throw new ValidationFailed(parsed.issues);
  return parsed.value as { document: unknown; comment?: string };
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}
