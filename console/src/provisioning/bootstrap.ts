import type { EnrollmentTokenCreated } from '@edgefleet/protocol';

/** The bootstrap file a box image carries (what `edgefleet-agent run --bootstrap FILE` reads). */
export function bootstrapFile(created: EnrollmentTokenCreated): string {
  return `${JSON.stringify(created.bootstrap, null, 2)}\n`;
}

/** Shell-quotes one word with single quotes, so a token or URL is passed exactly. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** One command that enrolls a box and keeps its agent running, named after the host. */
export function enrollOneLiner(created: EnrollmentTokenCreated): string {
  const b = created.bootstrap;
  return `edgefleet-agent run --state-dir /var/lib/edgefleet-agent --control-plane=${shellQuote(b.controlPlaneUrl)} --token=${shellQuote(b.token)} --name="$(hostname)"`;
}

/** One command that writes the bootstrap file onto a box or into an image being prepared. */
export function writeBootstrapOneLiner(created: EnrollmentTokenCreated, path = '/etc/edgefleet/bootstrap.json'): string {
  return `mkdir -p ${shellQuote(path.replace(/\/[^/]*$/, '') || '/')} && printf '%s\\n' ${shellQuote(JSON.stringify(created.bootstrap))} > ${shellQuote(path)}`;
}

export type TokenState = 'active' | 'revoked' | 'expired' | 'used up';

export function tokenState(t: { revokedAt: string | null; expiresAt: string; uses: number; maxUses: number | null }, now = Date.now()): TokenState {
  if (t.revokedAt) return 'revoked';
  if (Date.parse(t.expiresAt) <= now) return 'expired';
  if (t.maxUses !== null && t.uses >= t.maxUses) return 'used up';
  return 'active';
}

/** `line=7, site=berlin` → `{line: '7', site: 'berlin'}`; answers the first malformed part instead. */
export function parseLabels(text: string): { ok: true; labels: Record<string, string> } | { ok: false; message: string } {
  const labels: Record<string, string> = {};
  for (const part of text.split(/[,\n]+/).map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) return { ok: false, message: `"${part}" is not key=value` };
    labels[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return { ok: true, labels };
}
