import { describe, expect, it } from 'vitest';
import { redactSecrets } from './azure-iot-transport.js';

describe('redactSecrets', () => {
  it('removes the given secrets, connection string keys, SAS tokens and private keys', () => {
    const key = 'c2VjcmV0LWtleS1vZi10aGUtZGV2aWNl';
    const text = [
      `HostName=hub.azure-devices.net;DeviceId=dev;SharedAccessKey=${key}`,
      'password SharedAccessSignature sr=hub%2Fdevices%2Fdev&sig=abc%2Bdef%3D&se=1700000000',
      'https://hub/x?sig=abcdef&se=1',
      '-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----',
      `raw ${key} again`,
    ].join('\n');
    const out = redactSecrets(text, [key]);
    expect(out).not.toContain(key);
    expect(out).not.toMatch(/sig=abc|MIGH/);
    expect(out).toContain('HostName=hub.azure-devices.net;DeviceId=dev;SharedAccessKey=[redacted]');
    expect(out).toContain('SharedAccessSignature [redacted]');
    expect(out).toContain('[redacted private key]');
  });
});
