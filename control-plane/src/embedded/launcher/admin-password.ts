import { randomBytes } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface AdminPassword {
  password: string;
  /** Where it came from, for the banner. */
  source: string;
}

/**
 * The admin password: `EDGEFLEET_ADMIN_PASSWORD` when set, otherwise `{dataDir}/admin-password`,
 * generated on the first start (mode 0600, `wx` so two starts cannot write different ones).
 */
export async function resolveAdminPassword(dataDir: string, fromEnv: string | undefined): Promise<AdminPassword> {
  if (fromEnv) return { password: fromEnv, source: 'EDGEFLEET_ADMIN_PASSWORD' };
  const file = path.join(dataDir, 'admin-password');
  try {
    await writeFile(file, `${randomBytes(18).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  await chmod(file, 0o600);
  const password = (await readFile(file, 'utf8')).trim();
  if (password === '') throw new Error(`${file} is empty: delete it to generate a new password (only before the first start) or write the current one into it`);
  return { password, source: file };
}
