import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { LinkStateSchema, describeIssues, parseJsonWith } from '@edgefleet/protocol';
import { writeFileAtomic } from '../util/atomic-file.js';

/**
 * `status.json` in the state dir: a local window on the running agent for operators (and
 * tests), readable without any network. Agent-local format, not part of the wire contract.
 */
export const StatusFileSchema = z.object({
  pid: z.number().int(),
  agentId: z.string().nullable(),
  appliedRevision: z.number().int().nullable(),
  configSource: z.enum(['disk', 'broker']).nullable(),
  connected: z.boolean(),
  devices: z.array(z.object({ name: z.string(), polls: z.number().int(), pollErrors: z.number().int(), link: LinkStateSchema })),
  updatedAt: z.string(),
});
export type StatusFile = z.infer<typeof StatusFileSchema>;

export async function writeStatusFile(path: string, status: StatusFile): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(status, null, 2)}\n`);
}

export async function readStatusFile(path: string): Promise<StatusFile> {
  const parsed = parseJsonWith(StatusFileSchema, await readFile(path, 'utf8'));
  if (!parsed.ok) throw new Error(`${path} is not a status file: ${describeIssues(parsed.issues)}`);
  return parsed.value;
}
