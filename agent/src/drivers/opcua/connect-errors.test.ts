import { describe, expect, it } from 'vitest';
import { ConnectionSetupError, explainConnectError } from './connect-errors.js';

const ctx = { endpointUrl: 'opc.tcp://plc:4840', identity: 'username' as const, clientThumbprint: 'ab12' };

describe('connection errors', () => {
  it('explain a server that is not there, and keep retrying', () => {
    const e = explainConnectError(new Error('connect ECONNREFUSED 127.0.0.1:4840'), ctx);
    expect(e.message).toBe('opc.tcp://plc:4840 refused the connection (is the server running and listening on that port?)');
    expect(e.definitive).toBe(false);
    expect(explainConnectError(new Error('getaddrinfo ENOTFOUND plc'), ctx).message).toMatch(/cannot resolve/);
  });

  it('treat a refused user as a setting to fix', () => {
    const e = explainConnectError(new Error('ActivateSession failed: BadIdentityTokenRejected (0x80210000)'), ctx);
    expect(e.definitive).toBe(true);
    expect(e.message).toBe('the server rejected the username user identity (BadIdentityTokenRejected): check userIdentity');
  });

  it('say how to get the agent’s certificate trusted by the server', () => {
    const e = explainConnectError(new Error('OpenSecureChannel: BadCertificateUntrusted'), ctx);
    expect(e.definitive).toBe(true);
    expect(e.message).toContain('trust it on the server (SHA-1 thumbprint ab12)');
  });

  it('pass other failures through as transient', () => {
    const e = explainConnectError(new Error('something\n  odd'), ctx);
    expect(e.message).toBe('something odd');
    expect(e.definitive).toBe(false);
    const own = new ConnectionSetupError('mine', true);
    expect(explainConnectError(own, ctx)).toBe(own);
  });
});
