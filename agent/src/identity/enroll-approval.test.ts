import { createPublicKey } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EnrollmentRequestSchema } from '@edgefleet/protocol';
import { createLogger } from '../log.js';
import { enroll, EnrollmentRefused, PENDING_POLL_MAX_SEC, PENDING_POLL_MIN_SEC, pendingPollDelayMs, type EnrollOptions } from './enroll.js';
import { loadCredentials, loadIdentity, loadPendingEnrollment, statePaths } from './state-dir.js';
import './csr.js'; // sets the WebCrypto provider for x509
import * as x509 from '@peculiar/x509';

interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}
interface LogLine {
  level: number;
  msg: string;
  agentId?: string;
}
const INFO = 30;

const AGENT = '7f0c1c52-8b1e-4d52-9d4e-0c5c2f1b9a11';
const pending = (retryAfterSec = 15): Answer => ({ status: 202, body: { status: 'pending', agentId: AGENT, fleetId: 'f-1', retryAfterSec } });
const enrolled: Answer = {
  status: 201,
  body: { agentId: AGENT, fleetId: 'f-1', name: 'press-7', certificate: 'CERT', certificateExpiresAt: '2030-01-01T00:00:00.000Z', caChain: ['CA'], brokerUrl: 'mqtts://b:8883' },
};
const refused = (status: number, code: string, message: string): Answer => ({ status, body: { statusCode: status, code, message } });

/** SPKI (DER, base64) of a CSR's key and of a PEM private key: equal when the key signed the CSR. */
const csrSpki = (csrPem: string) => Buffer.from(new x509.Pkcs10CertificateRequest(csrPem).publicKey.rawData).toString('base64');
const keySpki = (keyPem: string) => createPublicKey(keyPem).export({ type: 'spki', format: 'der' }).toString('base64');

describe('enroll: waiting for approval', () => {
  let dir: string;
  let answers: Answer[];
  let csrs: string[];
  let sleeps: number[];
  let lines: LogLine[];
  /** Runs at each request, before it is answered (e.g. to look at the state dir). */
  let onRequest: (() => Promise<void>) | undefined;

  const params = { controlPlaneUrl: 'http://plane.test', token: 'tok-0123456789abcdef', hardwareId: 'hw-9', name: 'press-7' };
  const fetchImpl: typeof fetch = async (_url, init) => {
    csrs.push(EnrollmentRequestSchema.parse(JSON.parse(String(init?.body))).csr);
    await onRequest?.();
    const next = answers.shift();
    if (!next) throw new Error('no answer left');
    return new Response(JSON.stringify(next.body), { status: next.status, headers: { 'content-type': 'application/json', ...next.headers } });
  };
  const options = (over: Partial<EnrollOptions> = {}): EnrollOptions => ({
    log: createLogger('debug', {}, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) }),
    fetchImpl,
    sleep: async (ms) => void sleeps.push(ms),
    random: () => 0.5,
    ...over,
  });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ef-enroll-approval-'));
    answers = [];
    csrs = [];
    sleeps = [];
    lines = [];
    onRequest = undefined;
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('polls through several 202s with the same CSR, logs the wait once, then stores the identity with that key', async () => {
    answers = [pending(), pending(), pending(20), enrolled];
    let checked = false;
    onRequest = async () => {
      if (checked) return;
      checked = true;
      // The key is on disk, 0600, before the first request leaves.
      const saved = await loadPendingEnrollment(dir);
      expect(saved?.csrPem).toBe(csrs[0]);
      expect(keySpki(saved?.keyPem ?? '')).toBe(csrSpki(csrs[0] ?? ''));
      expect((await stat(statePaths(dir).pendingEnrollment)).mode & 0o777).toBe(0o600);
    };

    const identity = await enroll(dir, params, options());
    expect(identity).toMatchObject({ agentId: AGENT, hardwareId: 'hw-9' });
    expect(checked).toBe(true);
    expect(csrs).toHaveLength(4);
    expect(new Set(csrs).size).toBe(1);
    // retryAfterSec as asked (random 0.5 = no jitter).
    expect(sleeps).toEqual([15_000, 15_000, 20_000]);

    const waiting = lines.filter((l) => l.msg.startsWith('waiting for approval'));
    expect(waiting).toEqual([expect.objectContaining({ level: INFO, msg: `waiting for approval by an operator (agent id ${AGENT})`, agentId: AGENT })]);

    const creds = await loadCredentials(dir);
    expect(keySpki(creds.keyPem)).toBe(csrSpki(csrs[0] ?? ''));
    expect((await stat(statePaths(dir).key)).mode & 0o777).toBe(0o600);
    // The pending copy of the key is gone once the identity holds it.
    expect(await loadPendingEnrollment(dir)).toBeUndefined();
    await expect(stat(statePaths(dir).pendingEnrollment)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('survives a restart while pending: the next run asks with the same key and gets its identity', async () => {
    answers = [pending(), pending()];
    const stop = new AbortController();
    const stopAtSecondWait = async (ms: number, signal?: AbortSignal) => {
      sleeps.push(ms);
      if (sleeps.length === 2) stop.abort(new Error('stopped'));
      if (signal?.aborted) throw signal.reason;
    };
    const first = enroll(dir, params, options({ signal: stop.signal, sleep: stopAtSecondWait }));
    await expect(first).rejects.toThrow('stopped');
    expect(await loadIdentity(dir)).toBeUndefined();
    const keyBefore = (await loadPendingEnrollment(dir))?.keyPem;
    expect(keyBefore).toContain('PRIVATE KEY');

    answers = [pending(), enrolled];
    const identity = await enroll(dir, params, options());
    expect(identity.agentId).toBe(AGENT);
    expect(csrs).toHaveLength(4);
    expect(new Set(csrs).size).toBe(1);
    expect((await loadCredentials(dir)).keyPem).toBe(keyBefore);
    expect(lines.some((l) => l.msg.includes('resuming enrollment'))).toBe(true);
  });

  it('stops on 403 ENROLLMENT_REJECTED with the control plane\'s reason, and does not poll again', async () => {
    answers = [pending(), pending(), refused(403, 'ENROLLMENT_REJECTED', 'An operator rejected this box (agent x); an operator must delete the agent record before it can enroll again')];
    const err = await enroll(dir, params, options()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EnrollmentRefused);
    expect(err).toMatchObject({ status: 403, code: 'ENROLLMENT_REJECTED' });
    expect((err as Error).message).toContain('delete the agent record');
    expect(csrs).toHaveLength(3);
    expect(sleeps).toHaveLength(2);
    expect(await loadIdentity(dir)).toBeUndefined();
  });

  it('stops on 409 ENROLLMENT_KEY_MISMATCH', async () => {
    answers = [refused(409, 'ENROLLMENT_KEY_MISMATCH', 'Hardware id hw-9 is already waiting for approval in this fleet with another key')];
    const err = await enroll(dir, params, options()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EnrollmentRefused);
    expect(err).toMatchObject({ status: 409, code: 'ENROLLMENT_KEY_MISMATCH' });
    expect(csrs).toHaveLength(1);
    expect(sleeps).toHaveLength(0);
  });

  it('does not count polls as failures: maxAttempts applies to consecutive network errors and 5xx only', async () => {
    answers = [pending(), { status: 503, body: { statusCode: 503, code: 'INTERNAL', message: 'busy' } }, pending(), pending(), enrolled];
    const identity = await enroll(dir, params, options({ maxAttempts: 2 }));
    expect(identity.agentId).toBe(AGENT);
    expect(csrs).toHaveLength(5);
  });

  it('refuses a malformed 202', async () => {
    answers = [{ status: 202, body: { status: 'pending' } }];
    await expect(enroll(dir, params, options())).rejects.toThrow(/unexpected enrollment response/);
  });

  it('keeps the wait between polls within 5 – 300 s, with jitter', () => {
    expect(pendingPollDelayMs(15, () => 0.5)).toBe(15_000);
    expect(pendingPollDelayMs(15, () => 0)).toBe(12_000);
    expect(pendingPollDelayMs(15, () => 0.999)).toBe(17_994);
    expect(pendingPollDelayMs(1, () => 0)).toBe(PENDING_POLL_MIN_SEC * 1000);
    expect(pendingPollDelayMs(1, () => 0.999)).toBeLessThanOrEqual(6000);
    expect(pendingPollDelayMs(86_400, () => 0.999)).toBe(PENDING_POLL_MAX_SEC * 1000);
    expect(pendingPollDelayMs(86_400, () => 0)).toBe(240_000);
  });

  it('waits as long as a 429 says (Retry-After) and asks again, instead of giving up', async () => {
    answers = [{ ...refused(429, 'RATE_LIMITED', 'Too many enrollment requests from this address'), headers: { 'retry-after': '7' } }, enrolled];
    const identity = await enroll(dir, params, options());
    expect(identity.agentId).toBe(AGENT);
    expect(sleeps).toEqual([7_500]);
    expect(csrs).toHaveLength(2);
  });
});
