import { readFile, chmod, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { IsoTimeSchema, describeIssues, parseJsonWith } from '@edgefleet/protocol';
import { writeFileAtomic } from '../util/atomic-file.js';

/** `identity.json` — who this agent is; the key, certificate and CA sit beside it as PEM files. */
export const IdentitySchema = z.object({
  agentId: z.string().min(1),
  fleetId: z.string().min(1),
  name: z.string(),
  hardwareId: z.string().min(1),
  brokerUrl: z.string().min(1),
  certificateExpiresAt: IsoTimeSchema,
});
export type Identity = z.infer<typeof IdentitySchema>;

export interface Credentials {
  keyPem: string;
  certPem: string;
  caPem: string;
}

export const DEFAULT_STATE_DIR = './.edgefleet-agent';

export function statePaths(stateDir: string) {
  return {
    identity: join(stateDir, 'identity.json'),
    key: join(stateDir, 'agent.key'),
    cert: join(stateDir, 'agent.crt'),
    ca: join(stateDir, 'ca.crt'),
    status: join(stateDir, 'status.json'),
    pendingEnrollment: join(stateDir, 'pending-enrollment.json'),
  };
}

export class StateDirError extends Error {}

/** The identity, or undefined when the agent has not enrolled yet. */
export async function loadIdentity(stateDir: string): Promise<Identity | undefined> {
  const paths = statePaths(stateDir);
  let text: string;
  try {
    text = await readFile(paths.identity, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const parsed = parseJsonWith(IdentitySchema, text);
  if (!parsed.ok) throw new StateDirError(`${paths.identity} is damaged: ${describeIssues(parsed.issues)}`);
  return parsed.value;
}

export async function loadCredentials(stateDir: string): Promise<Credentials> {
  const paths = statePaths(stateDir);
  const read = async (path: string) => {
    try {
      return await readFile(path, 'utf8');
    } catch (err) {
      throw new StateDirError(`cannot read ${path}: ${(err as Error).message}`);
    }
  };
  return { keyPem: await read(paths.key), certPem: await read(paths.cert), caPem: await read(paths.ca) };
}

/**
 * Writes the enrolled identity. The private key is written first and with mode 0600; identity.json
 * goes last, so its presence means the whole set is complete.
 */
export async function saveIdentity(stateDir: string, identity: Identity, credentials: Credentials): Promise<void> {
  const paths = statePaths(stateDir);
  await writeFileAtomic(paths.key, credentials.keyPem, 0o600);
  await chmod(paths.key, 0o600);
  await writeFileAtomic(paths.cert, credentials.certPem);
  await writeFileAtomic(paths.ca, credentials.caPem);
  await writeFileAtomic(paths.identity, `${JSON.stringify(identity, null, 2)}\n`);
}

/**
 * `pending-enrollment.json` (mode 0600) — the key and CSR of an enrollment not finished yet. A box
 * waiting for an operator's approval is known to the control plane by the key of its first request,
 * so every poll, and every poll after a restart, must send that same CSR.
 */
export const PendingEnrollmentSchema = z.object({
  keyPem: z.string().includes('PRIVATE KEY'),
  csrPem: z.string().includes('CERTIFICATE REQUEST'),
  createdAt: IsoTimeSchema,
});
export type PendingEnrollment = z.infer<typeof PendingEnrollmentSchema>;

/** The key and CSR of an enrollment in progress, or undefined when there is none (or it is unreadable, so a new one is made). */
export async function loadPendingEnrollment(stateDir: string): Promise<PendingEnrollment | undefined> {
  let text: string;
  try {
    text = await readFile(statePaths(stateDir).pendingEnrollment, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const parsed = parseJsonWith(PendingEnrollmentSchema, text);
  return parsed.ok ? parsed.value : undefined;
}

/** Written before the first request goes out, in one atomic write, so a restart finds the whole pair or none. */
export async function savePendingEnrollment(stateDir: string, pending: PendingEnrollment): Promise<void> {
  const path = statePaths(stateDir).pendingEnrollment;
  await writeFileAtomic(path, `${JSON.stringify(pending, null, 2)}\n`, 0o600);
  await chmod(path, 0o600);
}

/** Removes the pending key once the identity holds it (or is gone for good). */
export async function clearPendingEnrollment(stateDir: string): Promise<void> {
  await rm(statePaths(stateDir).pendingEnrollment, { force: true });
}
