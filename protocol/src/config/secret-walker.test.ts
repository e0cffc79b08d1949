import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import {
  AgentConfigSchema,
  CONFIG_SECRET_FIELD_NAMES,
  CONFIG_SECRET_PATHS,
  SECRET_MARKER,
  SecretSchema,
  isSecretSchema,
  listConfigSecrets,
  listSecrets,
  mapSecrets,
  redactConfigSecrets,
  secret,
  secretFieldPaths,
} from '../index.js';

const CERT = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----';
const key = (body: string) => `-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----`;

/** A config (as written: defaults left out) holding one of every kind of secret. */
const config = () => ({
  devices: [
    { name: 'sim', driver: 'simulator', settings: {}, groups: [{ name: 'g', intervalMs: 100, tags: [{ name: 't', address: 'counter', type: 'uint32' }] }] },
    { name: 'press', driver: 'opcua', settings: { endpointUrl: 'opc.tcp://plc1:4840', userIdentity: { type: 'username', username: 'op', password: 'opcua-pw' } } },
    { name: 'oven', driver: 'opcua', settings: { endpointUrl: 'opc.tcp://plc2:4840', userIdentity: { type: 'certificate', certificatePem: CERT, privateKeyPem: key('opcua-key') } } },
  ],
  northbound: [
    { name: 'fleet', kind: 'mqtt' },
    { name: 'plant', kind: 'mqtt', settings: { broker: { url: 'mqtts://broker:8883', username: 'edge', password: 'mqtt-pw', tls: { cert: CERT, key: key('mqtt-key') } }, topic: 'plant/{device}' } },
    { name: 'aws', kind: 'aws-iot', settings: { endpoint: 'abc-ats.iot.eu-west-1.amazonaws.com', thingName: 'edge-1', certificate: CERT, privateKey: key('aws-key') } },
    { name: 'sas', kind: 'azure-iot', settings: { auth: { type: 'sas', hostName: 'hub.azure-devices.net', deviceId: 'e1', sharedAccessKey: 'sas-key' } } },
    { name: 'cs', kind: 'azure-iot', settings: { auth: { type: 'connection-string', connectionString: 'HostName=hub;DeviceId=e2;SharedAccessKey=cs-key' } } },
    { name: 'x509', kind: 'azure-iot', settings: { auth: { type: 'x509', hostName: 'hub', deviceId: 'e3', certificate: CERT, privateKey: key('azure-key') } } },
  ],
});

const SECRET_VALUES = ['opcua-pw', key('opcua-key'), 'mqtt-pw', key('mqtt-key'), key('aws-key'), 'sas-key', 'HostName=hub;DeviceId=e2;SharedAccessKey=cs-key', key('azure-key')];

describe('secret marks', () => {
  it('survive refinement and are not confused with the unmarked', () => {
    expect(isSecretSchema(SecretSchema)).toBe(true);
    expect(isSecretSchema(SecretSchema.refine((s) => s.length > 3))).toBe(true);
    expect(isSecretSchema(secret(z.string()).describe('a password'))).toBe(true);
    expect(isSecretSchema(z.string())).toBe(false);
  });
});

describe('where a config holds secrets', () => {
  it('is read from the schema: every secret field of every driver and sink', () => {
    expect([...CONFIG_SECRET_PATHS].sort()).toEqual([
      'devices[].settings.userIdentity.password',
      'devices[].settings.userIdentity.privateKeyPem',
      'northbound[].settings.auth.connectionString',
      'northbound[].settings.auth.privateKey',
      'northbound[].settings.auth.sharedAccessKey',
      'northbound[].settings.broker.password',
      'northbound[].settings.broker.tls.key',
      'northbound[].settings.privateKey',
    ]);
    expect(CONFIG_SECRET_FIELD_NAMES).toEqual(['connectionString', 'key', 'password', 'privateKey', 'privateKeyPem', 'sharedAccessKey']);
  });

  it('finds a secret added to a schema, through wrappers, lists and records', () => {
    const schema = z.object({
      a: secret(z.string()).optional(),
      b: z.array(z.object({ c: secret(z.string()).default('x') })),
      d: z.record(z.string(), z.object({ e: secret(z.string()).nullable() })),
      f: z.string().transform((s) => s.trim()),
      g: z.preprocess((v) => v, z.object({ h: SecretSchema })),
    });
    expect(secretFieldPaths(schema)).toEqual(['a', 'b[].c', 'd{}.e', 'g.h']);
    const found = listSecrets(schema, { a: '1', b: [{ c: '2' }, { c: '3' }], d: { k: { e: '4' } }, f: 'x', g: { h: '5' } });
    expect(found.map((s) => [s.location, s.value])).toEqual([['a', '1'], ['b[0].c', '2'], ['b[1].c', '3'], ['d.k.e', '4'], ['g.h', '5']]);
  });

  it('refuses a schema construct it does not know rather than miss a secret in it', () => {
    expect(() => secretFieldPaths(z.object({ a: z.intersection(z.object({ b: SecretSchema }), z.object({})) }))).toThrow(/does not know zod 'intersection'/);
    expect(() => secretFieldPaths(z.map(z.string(), SecretSchema))).toThrow(/'map'/);
  });
});

describe('secrets of a config document', () => {
  it('are found at their places, in a document as written and as normalized', () => {
    const written = listConfigSecrets(config());
    expect(written.map((s) => s.location)).toEqual([
      'devices[1].settings.userIdentity.password',
      'devices[2].settings.userIdentity.privateKeyPem',
      'northbound[1].settings.broker.password',
      'northbound[1].settings.broker.tls.key',
      'northbound[2].settings.privateKey',
      'northbound[3].settings.auth.sharedAccessKey',
      'northbound[4].settings.auth.connectionString',
      'northbound[5].settings.auth.privateKey',
    ]);
    expect(written.map((s) => s.value)).toEqual(SECRET_VALUES);
    const normalized = listConfigSecrets(AgentConfigSchema.parse(config()));
    expect(normalized.map((s) => s.location)).toEqual(written.map((s) => s.location));
  });

  it('are keyed by the names of their device or sink, so reordering keeps the keys', () => {
    const doc = config();
    const reordered = { ...doc, northbound: [...doc.northbound].reverse() };
    const keys = (d: unknown) => new Map(listConfigSecrets(d).map((s) => [s.value, s.key]));
    expect(keys(reordered)).toEqual(keys(doc));
    expect(listConfigSecrets(doc)[2]?.key).toBe(JSON.stringify(['northbound', { name: 'plant' }, 'settings', 'broker', 'password']));
  });

  it('are redacted to the marker without touching the rest or the input', () => {
    const doc = config();
    const before = JSON.stringify(doc);
    const redacted = redactConfigSecrets(doc) as ReturnType<typeof config>;
    expect(JSON.stringify(doc)).toBe(before);
    const text = JSON.stringify(redacted);
    for (const value of SECRET_VALUES) expect(text).not.toContain(JSON.stringify(value));
    expect(listConfigSecrets(redacted).every((s) => s.value === SECRET_MARKER)).toBe(true);
    // Untouched parts are shared, not copied; the certificates and user names stay.
    expect(redacted.devices[0]).toBe(doc.devices[0]);
    expect(redacted.northbound[1]?.settings).toMatchObject({ broker: { username: 'edge', password: SECRET_MARKER, tls: { cert: CERT, key: SECRET_MARKER } } });
    const sim = { devices: [doc.devices[0]] };
    expect(redactConfigSecrets(sim)).toBe(sim);
  });

  it('are visited whatever they hold (a sealed object), and a misshapen document is left to validation', () => {
    const doc = { northbound: [{ name: 'sas', kind: 'azure-iot', settings: { auth: { type: 'sas', sharedAccessKey: { $sealed: 'v1.x' } } } }] };
    expect(listConfigSecrets(doc).map((s) => s.value)).toEqual([{ $sealed: 'v1.x' }]);
    for (const odd of [null, 'text', 42, { devices: 'none' }, { northbound: [null, 'x', { kind: 'nope', settings: { password: 'p' } }] }]) {
      expect(listConfigSecrets(odd)).toEqual([]);
      expect(redactConfigSecrets(odd)).toBe(odd);
    }
  });

  it('does not take the fleet broker (a plain string option) for a secret', () => {
    const doc = { northbound: [{ name: 'fleet', kind: 'mqtt', settings: { broker: 'fleet' } }] };
    expect(mapSecrets(AgentConfigSchema, doc, () => SECRET_MARKER)).toBe(doc);
  });
});
