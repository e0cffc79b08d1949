import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The installation's master key: `EDGEFLEET_MASTER_KEY` (base64 of 32 bytes) when set, otherwise
 * `{dataDir}/master.key`, created once with mode 0600. Writing with the `wx` flag makes two
 * processes starting together agree: the loser reads the winner's key.
 */
export function resolveMasterKey(dataDir: string, env: NodeJS.ProcessEnv = process.env): Buffer {
  const fromEnv = env.EDGEFLEET_MASTER_KEY;
  if (fromEnv !== undefined && fromEnv !== '') {
    const key = Buffer.from(fromEnv, 'base64');
    if (key.length !== 32) throw new Error(`EDGEFLEET_MASTER_KEY must be base64 of 32 bytes (got ${key.length} bytes)`);
    return key;
  }
  const file = path.join(dataDir, 'master.key');
  mkdirSync(dataDir, { recursive: true });
  try {
    writeFileSync(file, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  if (key.length !== 32) throw new Error(`${file} must hold base64 of 32 bytes (got ${key.length} bytes)`);
  return key;
}
