/** A small JSON client for integration tests. */
export interface JsonResponse<T = unknown> {
  status: number;
  body: T;
}

export function apiClient(baseUrl: string, token?: string) {
  return async function call<T = Record<string, unknown>>(method: string, path: string, body?: unknown, raw?: string): Promise<JsonResponse<T>> {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined || raw !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${baseUrl}${path}`, { method, headers, body: raw ?? (body === undefined ? undefined : JSON.stringify(body)) });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  };
}
