import { readFile, chmod } from 'node:fs/promises';
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
