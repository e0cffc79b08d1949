import type { AgentView } from '@edgefleet/protocol';

export interface BoxFact {
  label: string;
  value: string;
}

const KNOWN = new Set(['hostname', 'os', 'arch', 'agentVersion', 'nodeVersion']);

const text = (v: unknown): string | undefined => (typeof v === 'string' ? v.trim() || undefined : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined);

/**
 * What a box told about itself at enrollment, in the order an operator checks it against the
 * box in front of them: host name, operating system, agent version, then any other fact it sent.
 * Facts that are not plain values are left out.
 */
export function boxFacts(agent: Pick<AgentView, 'facts' | 'agentVersion'>): BoxFact[] {
  const f = agent.facts;
  const facts: BoxFact[] = [];
  const host = text(f.hostname);
  if (host) facts.push({ label: 'Host', value: host });
  const os = [text(f.os), text(f.arch)].filter(Boolean).join(' ');
  if (os) facts.push({ label: 'OS', value: os });
  const version = agent.agentVersion ?? text(f.agentVersion);
  if (version) facts.push({ label: 'Agent', value: version });
  const node = text(f.nodeVersion);
  if (node) facts.push({ label: 'Node.js', value: node });
  for (const [key, raw] of Object.entries(f)) {
    const value = text(raw);
    if (!KNOWN.has(key) && value !== undefined) facts.push({ label: key, value });
  }
  return facts;
}
