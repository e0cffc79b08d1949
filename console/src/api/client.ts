import type { AgentSort, AgentView, LoginResponse, SyncStatus } from '@edgefleet/protocol';

/** An answer of the REST API other than 2xx, with its `code` and `message` (and field issues for a 400). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: Array<{ path: string; message: string }> = [],
  ) {
    super(message);
  }
}

export interface AgentPage {
  items: AgentView[];
  total: number;
  limit: number;
  offset: number;
}

export interface AgentQuery {
  status?: SyncStatus;
  /** Part of the name or hardware id, any case. */
  q?: string;
  /** `key=value` (or `key`: has the label); all must match. */
  labels?: string[];
  sort?: AgentSort;
  limit: number;
  offset: number;
}

/**
 * The console's only way to the control plane: the public REST API under `/api/v1`, with the
 * signed-in user's bearer token. Whatever the console does, a script can do with the same calls.
 */
export class ApiClient {
  constructor(
    private readonly token: string | null,
    private readonly fetchImpl: typeof fetch = (...args) => fetch(...args),
    private readonly base = '/api/v1',
    /** Called on a 401: the session expired or was revoked, so the console asks to sign in again. */
    private readonly onUnauthorized?: () => void,
  ) {}

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    const res = await this.fetchImpl(`${this.base}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const text = await res.text();
    const parsed: unknown = text ? safeJson(text) : undefined;
    if (!res.ok) {
      if (res.status === 401 && this.token) this.onUnauthorized?.();
      const e = (parsed ?? {}) as { code?: string; message?: string; issues?: Array<{ path: string; message: string }> };
      throw new ApiError(res.status, e.code ?? `HTTP_${res.status}`, e.message ?? (res.statusText || `HTTP ${res.status}`), e.issues ?? []);
    }
    return parsed as T;
  }

  login(username: string, password: string): Promise<LoginResponse> {
    return this.request('POST', '/auth/login', { username, password });
  }

  agents(query: AgentQuery): Promise<AgentPage> {
    const params = new URLSearchParams({ limit: String(query.limit), offset: String(query.offset) });
    if (query.status) params.set('status', query.status);
    if (query.q) params.set('q', query.q);
    for (const label of query.labels ?? []) params.append('label', label);
    if (query.sort) params.set('sort', query.sort);
    return this.request('GET', `/agents?${params.toString()}`);
  }

  agent(id: string): Promise<AgentView> {
    return this.request('GET', `/agents/${encodeURIComponent(id)}`);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return { message: text };
  }
}
