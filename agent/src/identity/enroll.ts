import { arch, hostname, platform, release } from 'node:os';
import { z } from 'zod';
import { EnrollmentPendingSchema, EnrollmentResponseSchema, ValidationIssueSchema, describeIssues, parseWith, type EnrollmentRequest } from '@edgefleet/protocol';
import type { Logger } from '../log.js';
import { AGENT_VERSION } from '../version.js';
import { Backoff, sleep } from '../util/backoff.js';
import { errorMessage } from '../util/errors.js';
import { detectHardwareId } from './hardware-id.js';
import { clearPendingEnrollment, loadPendingEnrollment, savePendingEnrollment, saveIdentity, type Identity } from './state-dir.js';

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
  /** Gives up after this many consecutive failed attempts on network errors or 5xx (default: never). */
  maxAttempts?: number;
  fetchImpl?: typeof fetch;
  /** How waits between requests are spent (tests pass a fake clock). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Source of jitter, [0, 1). */
  random?: () => number;
}

/** Bounds on the wait between two polls of a pending enrollment, whatever the control plane asks for. */
export const PENDING_POLL_MIN_SEC = 5;
export const PENDING_POLL_MAX_SEC = 300;

/**
 * The wait before polling a pending enrollment again: the control plane's `retryAfterSec`, kept
 * within 5 – 300 s, give or take 20 % so boxes switched on together do not poll in lockstep.
 */
export function pendingPollDelayMs(retryAfterSec: number, random: () => number = Math.random): number {
  const clamp = (sec: number) => Math.min(PENDING_POLL_MAX_SEC, Math.max(PENDING_POLL_MIN_SEC, sec));
  return Math.round(clamp(clamp(retryAfterSec) * (0.8 + 0.4 * random())) * 1000);
}

/**
 * Zero-touch enrollment: generate a key on the box, send a CSR with the token, store the signed
 * certificate. The key and CSR are written to the state dir before the first request and reused
 * until enrollment succeeds, so a box waiting for approval (`202`) keeps asking with the key the
 * control plane bound its request to, across restarts too. A `202` is polled again after the
 * `retryAfterSec` it names; network errors and 5xx are retried with backoff; a 4xx is final and its
 * code and message are surfaced as they came (`ENROLLMENT_REJECTED`, `ENROLLMENT_KEY_MISMATCH`
 * included).
 */
export async function enroll(stateDir: string, params: EnrollParams, options: EnrollOptions): Promise<Identity> {
  const { log } = options;
  const fetchImpl = options.fetchImpl ?? fetch;
  const wait = options.sleep ?? sleep;
  const random = options.random ?? Math.random;
  const hardwareId = params.hardwareId ?? (await detectHardwareId());
  // The X.509 library (~20 MB resident) is loaded only while enrolling, not by a running agent.
  const { generateKeyAndCsr, certificateFingerprint } = await import('./csr.js');
  let pending = await loadPendingEnrollment(stateDir);
  if (pending) {
    log.info({ since: pending.createdAt }, 'resuming enrollment with the key made earlier');
  } else {
    pending = { ...(await generateKeyAndCsr(params.name ?? hardwareId)), createdAt: new Date().toISOString() };
    await savePendingEnrollment(stateDir, pending);
  }
  const { keyPem, csrPem } = pending;
  const body: EnrollmentRequest = {
    token: params.token,
    hardwareId,
    ...(params.name ? { name: params.name } : {}),
    facts: { hostname: hostname(), os: `${platform()} ${release()}`, arch: arch(), agentVersion: AGENT_VERSION, nodeVersion: process.version },
    csr: csrPem,
  };
  const url = new URL('/api/v1/enrollments', params.controlPlaneUrl).toString();
  const backoff = new Backoff(1000, 60_000, random);
  let failures = 0;
  let waitingAs: string | undefined;
  for (;;) {
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
    if (response.status === 429) {
      // Rate limited (a whole line of boxes booting behind one address): wait as told, then ask again.
      const retryAfterSec = Number(response.headers.get('retry-after'));
      const delay = Number.isFinite(retryAfterSec) && retryAfterSec > 0 ? Math.min(retryAfterSec, 300) * 1000 + Math.round(random() * 1000) : backoff.next();
      log.warn({ retryInMs: delay, problem: describeApiError(text) }, 'the control plane asked to slow down; retrying');
      await wait(delay, options.signal);
      continue;
    }
    if (response.status === 202) {
      const waiting = parseWith(EnrollmentPendingSchema, parseJson(text));
      if (!waiting.ok) throw new Error(`unexpected enrollment response: ${describeIssues(waiting.issues)}`);
      const { agentId, retryAfterSec } = waiting.value;
      if (waitingAs !== agentId) log.info({ agentId, fleetId: waiting.value.fleetId }, `waiting for approval by an operator (agent id ${agentId})`);
      else log.debug({ agentId }, 'still waiting for approval');
      waitingAs = agentId;
      failures = 0;
      backoff.reset();
      await wait(pendingPollDelayMs(retryAfterSec, random), options.signal);
      continue;
    }
    if (response.status !== 201 && response.status !== 200) {
      const apiError = parseApiError(text);
      throw new EnrollmentRefused(response.status, apiError?.code ?? 'HTTP_' + response.status, apiError ? describeError(apiError) : text.slice(0, 500));
    }
    const parsed = parseWith(EnrollmentResponseSchema, parseJson(text));
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
    // The key now lives in agent.key; the pending copy is not needed any more.
    await clearPendingEnrollment(stateDir);
    log.info({ agentId: identity.agentId, fleetId: identity.fleetId, brokerUrl: identity.brokerUrl }, 'enrolled');
    return identity;
  }

  async function retryOrThrow(problem: string): Promise<void> {
    failures++;
    if (options.maxAttempts !== undefined && failures >= options.maxAttempts) throw new Error(`enrollment failed after ${failures} attempts: ${problem}`);
    const delay = backoff.next();
    log.warn({ attempt: failures, retryInMs: delay, problem }, 'enrollment attempt failed; retrying');
    await wait(delay, options.signal);
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error('the control plane answered the enrollment with something that is not JSON');
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
