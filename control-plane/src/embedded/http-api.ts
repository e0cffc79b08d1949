import type { z } from 'zod';
import { ApiErrorSchema } from '@edgefleet/protocol';

/** A REST API error answer, with the status and the API's error code when it sent one. */
export class ApiRequestError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly code: string | undefined,
    message: string,
  ) {
    super(`${method} ${path} → ${status}${code ? ` ${code}` : ''}: ${message}`);
  }
}

/**
 * A minimal client of the control plane's REST API (fetch, JSON, bearer token), used by the
 * launcher to enroll its local agent and by the end-to-end tests.
 */
export class HttpApi {
  constructor(
    readonly baseUrl: string,
    public token?: string,
  ) {}

  /** Sends a request and returns the status and the decoded body, whatever the status. */
  async send(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    const res = await fetch(new URL(path, this.baseUrl), { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const text = await res.text();
    let decoded: unknown = undefined;
    if (text !== '') {
      try {
        decoded = JSON.parse(text);
      } catch {
        decoded = text;
      }
    }
    return { status: res.status, body: decoded };
  }

  /**
   * Sends a request and throws `ApiRequestError` unless it succeeded; the answer is parsed with
   * `schema` when given, otherwise returned as unknown JSON.
   */
  async request<S extends z.ZodType>(method: string, path: string, body: unknown, schema: S): Promise<z.output<S>>;
  async request(method: string, path: string, body?: unknown): Promise<unknown>;
  async request(method: string, path: string, body?: unknown, schema?: z.ZodType): Promise<unknown> {
    const res = await this.send(method, path, body);
    if (res.status < 200 || res.status > 299) {
      const err = ApiErrorSchema.safeParse(res.body);
      const message = err.success ? err.data.message : JSON.stringify(res.body ?? null).slice(0, 200);
      throw new ApiRequestError(method, path, res.status, err.success ? err.data.code : undefined, message);
    }
    if (!schema) return res.body;
    const parsed = schema.safeParse(res.body);
    if (!parsed.success) throw new Error(`${method} ${path}: unexpected answer: ${parsed.error.message}`);
    return parsed.data;
  }
}
