import { describe, expect, it } from 'vitest';
import { DeviceSchema, parseWith } from '@edgefleet/protocol/browser';
import { checkNewDevice, deviceToSave, emptyNewDevice, newDeviceInput } from './new-device';

describe('new device', () => {
  it('builds a Modbus TCP device with the defaults of the protocol', () => {
    const check = checkNewDevice({ ...emptyNewDevice(), name: 'press', driver: 'modbus-tcp', host: '10.0.0.5' });
    expect(check.device).toMatchObject({ name: 'press', driver: 'modbus-tcp', settings: { host: '10.0.0.5', port: 502, timeoutMs: 3000 }, groups: [] });
  });

  it('shows the protocol messages at the fields they concern', () => {
    const values = { ...emptyNewDevice(), name: 'a/b', driver: 'opcua' as const, endpointUrl: 'http://plc', securityMode: 'Sign' as const };
    const check = checkNewDevice(values);
    const expected = parseWith(DeviceSchema, newDeviceInput(values));
    expect(expected.ok).toBe(false);
    const message = (path: string) => (expected.ok ? undefined : expected.issues.find((i) => i.path === path)?.message);
    expect(check.device).toBeNull();
    expect(check.fields.name).toBe(message('name'));
    expect(check.fields.endpointUrl).toBe("must be an opc.tcp:// URL, e.g. 'opc.tcp://plc1:4840'");
    expect(check.fields.securityPolicy).toBe("must not be 'None' with securityMode 'Sign'");
  });

  it('checks the test address like the API does, and leaves the test group out of the saved device', () => {
    const bad = checkNewDevice({ ...emptyNewDevice(), name: 'press', host: 'plc', testAddress: '1!900001' });
    expect(bad.fields.testAddress).toMatch(/tag 'test': '1!900001': area 9 does not exist/);
    const good = checkNewDevice({ ...emptyNewDevice(), name: 'press', host: 'plc', testAddress: '1!400001', testType: 'int16' });
    expect(good.device?.groups[0]?.tags[0]).toMatchObject({ name: 'test', address: '1!400001', type: 'int16' });
    expect(good.device && deviceToSave(good.device).groups).toEqual([]);
  });

  it('builds an OPC UA user identity and keeps trusted fingerprints', () => {
    const fingerprint = 'ab'.repeat(32);
    const check = checkNewDevice({
      ...emptyNewDevice(),
      name: 'filler',
      driver: 'opcua',
      endpointUrl: 'opc.tcp://plc:4840',
      securityMode: 'SignAndEncrypt',
      securityPolicy: 'Basic256Sha256',
      identity: 'username',
      username: 'edge',
      password: 'pw',
      trustedServerCertificates: [fingerprint],
    });
    expect(check.device?.settings).toMatchObject({ userIdentity: { type: 'username', username: 'edge', password: 'pw' }, trustedServerCertificates: [fingerprint] });
  });
});
