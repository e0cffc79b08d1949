import { describe, expect, it } from 'vitest';
import { resolveNodeIdText } from './node-ids.js';

const namespaces = ['http://opcfoundation.org/UA/', 'urn:server', 'urn:plc'];

describe('NodeId resolution', () => {
  it('keeps numeric namespaces and fills in namespace 0', () => {
    expect(resolveNodeIdText('ns=2;s=Line1.Speed', namespaces)).toEqual({ ok: true, text: 'ns=2;s=Line1.Speed' });
    expect(resolveNodeIdText('i=85', namespaces)).toEqual({ ok: true, text: 'ns=0;i=85' });
    expect(resolveNodeIdText('ns=1;g=09087e75-8e5e-499b-954f-f2a9603db28a', namespaces)).toEqual({ ok: true, text: 'ns=1;g=09087e75-8e5e-499b-954f-f2a9603db28a' });
    expect(resolveNodeIdText('ns=1;b=M/RbKBsRVkePCePcx24oRA==', namespaces)).toEqual({ ok: true, text: 'ns=1;b=M/RbKBsRVkePCePcx24oRA==' });
  });

  it('looks namespace URIs up in the server’s NamespaceArray', () => {
    expect(resolveNodeIdText('nsu=urn:plc;s=Speed', namespaces)).toEqual({ ok: true, text: 'ns=2;s=Speed' });
    const missing = resolveNodeIdText('nsu=urn:other;s=Speed', namespaces);
    expect(missing).toEqual({ ok: false, message: "'nsu=urn:other;s=Speed': the server has no namespace 'urn:other'" });
  });

  it('reports malformed NodeIds', () => {
    const bad = resolveNodeIdText('ns=2;x=1', namespaces);
    expect(bad.ok).toBe(false);
  });
});
