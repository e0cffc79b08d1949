import { describe, expect, it } from 'vitest';
import { createLogger } from './log.js';

describe('agent logger', () => {
  it("redacts the config's secret fields, found from the schema, and the agent's own key and token", () => {
    const lines: string[] = [];
    const log = createLogger('info', { agent: 'a1' }, { write: (line: string) => void lines.push(line) });
    log.info({ userIdentity: { type: 'username', username: 'op', password: 'pw-1' }, privateKeyPem: 'opcua-key-1' }, 'identity');
    log.info({ auth: { sharedAccessKey: 'sas-1', connectionString: 'cs-1' }, tls: { key: 'tls-1' }, keyPem: 'agent-key-1', token: 'enroll-1' }, 'sink');
    const text = lines.join('');
    for (const secret of ['pw-1', 'opcua-key-1', 'sas-1', 'cs-1', 'tls-1', 'agent-key-1', 'enroll-1']) expect(text).not.toContain(secret);
    expect(text).toContain('"username":"op"');
    expect(text).toContain('[redacted]');
  });
});
