import { arch, hostname, platform, release } from 'node:os';
import { z } from 'zod';
import { EnrollmentResponseSchema, ValidationIssueSchema, describeIssues, parseWith, type EnrollmentRequest } from '@edgefleet/protocol';
import type { Logger } from '../log.js';
import { AGENT_VERSION } from '../version.js';
import { Backoff, sleep } from '../util/backoff.js';
import { errorMessage } from '../util/errors.js';
import { detectHardwareId } from './hardware-id.js';
import { saveIdentity, type Identity } from './state-dir.js';

export interface EnrollParams {
  controlPlaneUrl: string;
  token: string;
  hardwareId?: string;
  name?: string;
  /** Pinned sha256 of the fleet CA (from the bootstrap file): the returned chain must contain it. */
  caFingerprint?: string;
}

/** How the control plane answers errors (`{statusCode, code, message, issues?}`). */
const ApiErrorSchema = z.object({
  statusCode: z.number().optional(),
  code: z.string(),
  message: z.string(),
  issues: z.array(ValidationIssueSchema).optional(),
});

/** An enrollment the control plane refused (4xx): retrying will not help. */
export class EnrollmentRefused extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(`enrollment refused (${status} ${code}): ${message}`);
    this.name = 'EnrollmentRefused';
  }
}

export interface EnrollOptions {
  log: Logger;
  signal?: AbortSignal;
  /** Gives up after this many failed attempts on network errors or 5xx (default: never). */
  maxAttempts?: number;
  fetchImpl?: typeof fetch;
}

/**
 * Zero-touch enrollment: generate a key on the box, send a CSR with the token, store the signed
 * certificate. Network errors and 5xx are retried with backoff; a 4xx is final and its code and
 * message are surfaced as they came.
 */
export async function enroll(stateDir: string, params: EnrollParams, options: EnrollOptions): Promise<Identity> {
  const { log } = options;
  const fetchImpl = options.fetchImpl ?? fetch;
  const hardwareId = params.hardwareId ?? (await detectHardwareId());
  // The X.509 library (~20 MB resident) is loaded only while enrolling, not by a running agent.
  const { generateKeyAndCsr, certificateFingerprint } = await import('./csr.js');
  const { keyPem, csrPem } = await generateKeyAndCsr(params.name ?? hardwareId);
  const body: EnrollmentRequest = {
    token: params.token,
    hardwareId,
    ...(params.name ? { name: params.name } : {}),
    facts: { hostname: hostname(), os: `${platform()} ${release()}`, arch: arch(), agentVersion: AGENT_VERSION, nodeVersion: process.version },
    csr: csrPem,
  };
  const url = new URL('/api/v1/enrollments', params.controlPlaneUrl).toString();
  const backoff = new Backoff(1000, 60_000);
  for (let attempt = 1; ; attempt++) {
    let response: Response;
    try {
      response = await fetchImpl(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body),
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (err) {
      if (options.signal?.aborted) throw err;
      await retryOrThrow(`cannot reach ${url}: ${errorMessage(err)}`);
      continue;
    }
    const text = await response.text();
    if (response.status >= 500) {
      await retryOrThrow(`control plane answered ${response.status}: ${describeApiError(text)}`);
      continue;
    }
    if (response.status !== 201 && response.status !== 200) {
      const apiError = parseApiError(text);
      throw new EnrollmentRefused(response.status, apiError?.code ?? 'HTTP_' + response.status, apiError ? describeError(apiError) : text.slice(0, 500));
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new Error('the control plane answered the enrollment with something that is not JSON');
    }
    const parsed = parseWith(EnrollmentResponseSchema, json);
    if (!parsed.ok) throw new Error(`unexpected enrollment response: ${describeIssues(parsed.issues)}`);
    const res = parsed.value;
    if (params.caFingerprint) {
      const prints = await Promise.all(res.caChain.map((pem) => certificateFingerprint(pem)));
      if (!prints.includes(params.caFingerprint)) {
        throw new Error('the CA chain returned by the control plane does not match the pinned caFingerprint; refusing it');
      }
    }
    const identity: Identity = {
      agentId: res.agentId,
      fleetId: res.fleetId,
      name: res.name,
      hardwareId,
      brokerUrl: res.brokerUrl,
      certificateExpiresAt: res.certificateExpiresAt,
    };
    await saveIdentity(stateDir, identity, { keyPem, certPem: res.certificate, caPem: res.caChain.join('\n') });
    log.info({ agentId: identity.agentId, fleetId: identity.fleetId, brokerUrl: identity.brokerUrl }, 'enrolled');
    return identity;

    async function retryOrThrow(problem: string): Promise<void> {
      if (options.maxAttempts !== undefined && attempt >= options.maxAttempts) throw new Error(`enrollment failed after ${attempt} attempts: ${problem}`);
      const wait = backoff.next();
      log.warn({ attempt, retryInMs: wait, problem }, 'enrollment attempt failed; retrying');
      await sleep(wait, options.signal);
    }
  }
}

function parseApiError(text: string): z.infer<typeof ApiErrorSchema> | undefined {
  try {
    const parsed = ApiErrorSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function describeError(e: z.infer<typeof ApiErrorSchema>): string {
  return e.issues && e.issues.length > 0 ? `${e.message} (${describeIssues(e.issues)})` : e.message;
}

function describeApiError(text: string): string {
  const e = parseApiError(text);
  return e ? `${e.code}: ${describeError(e)}` : text.slice(0, 200);
}
