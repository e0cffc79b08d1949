/**
 * OPC UA security against a real node-opcua server: every supported policy with Sign and
 * SignAndEncrypt, the server certificate trusted by fingerprint, user name/password and X.509
 * users, an untrusted certificate refused and reported (then accepted once pinned), and the
 * errors an operator meets while commissioning.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '@edgefleet/protocol';
import { defaultDriverRegistry } from '../../../agent/src/drivers/registry.js';
import { testConnection } from '../../../agent/src/commands/test-connection.js';
import { Deadline } from '../../../agent/src/commands/deadline.js';
import { freePort } from '../support/ports.js';
import { eventually } from '../support/eventually.js';
import { DriverHarness, group, onlyGroup, opcuaDevice, rejection } from '../peers/opcua/harness.js';
import { readRecords } from '../peers/opcua/harness.js';
import { OpcUaPeer } from '../peers/opcua/opcua-server.js';

const USER = { username: 'operator', password: 's3cret!' };
const POLICIES = ['Basic256Sha256', 'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss'] as const;
const MODES = ['Sign', 'SignAndEncrypt'] as const;
const readDouble = group('g', 1000, [{ name: 'double', address: 'ns=1;s=Static.Double', type: 'float64' }], 'poll');

describe('OPC UA driver: security', { timeout: 90_000 }, () => {
  let peer: OpcUaPeer;
  const harness = new DriverHarness();

  beforeAll(async () => {
    peer = await OpcUaPeer.start({ users: [USER] });
  });

  afterAll(async () => {
    await harness.dispose();
    await peer?.dispose();
  });

  for (const securityPolicy of POLICIES) {
    for (const securityMode of MODES) {
      it(`connects with ${securityMode}/${securityPolicy}, a pinned server certificate and a user name`, async () => {
        const device = opcuaDevice(
          { endpointUrl: peer.endpointUrl, securityMode, securityPolicy, trustedServerCertificates: [peer.certificateFingerprint], userIdentity: { type: 'username', ...USER } },
          [readDouble],
        );
        const driver = await harness.start(device);
        await driver.waitConnected(15_000);
        expect(driver.link()).toBe('connected');
        expect(await readRecords(driver, onlyGroup(device))).toEqual({ values: { double: 2.718281828459045 }, errors: {} });
        expect(driver.details()).toMatchObject({ security: `${securityMode}/${securityPolicy}`, userIdentity: 'username', serverCertificateFingerprint: peer.certificateFingerprint });
        await harness.stop(driver);
        expect(driver.link()).toBe('disconnected');
      });
    }
  }

  it('connects with an X.509 user certificate', async () => {
    const device = opcuaDevice(
      {
        endpointUrl: peer.endpointUrl,
        securityMode: 'SignAndEncrypt',
        securityPolicy: 'Aes256_Sha256_RsaPss',
        trustedServerCertificates: [peer.certificateFingerprint],
        userIdentity: { type: 'certificate', ...peer.userCertificate },
      },
      [readDouble],
    );
    const driver = await harness.start(device);
    await driver.waitConnected(15_000);
    expect((await readRecords(driver, onlyGroup(device))).values).toEqual({ double: 2.718281828459045 });
    await harness.stop(driver);
  });

  it('refuses a server certificate that is not pinned, reports it, and connects once it is added', async () => {
    const settings = { endpointUrl: peer.endpointUrl, securityMode: 'SignAndEncrypt' as const, securityPolicy: 'Basic256Sha256' as const, userIdentity: { type: 'username' as const, ...USER } };
    const driver = await harness.start(opcuaDevice({ ...settings, trustedServerCertificates: ['00'.repeat(32)] }, [readDouble]));
    const started = Date.now();
    const err = await rejection(driver.waitConnected(20_000));
    // Retrying cannot help: the answer comes at once, not when the wait runs out.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(err.code).toBe(ErrorCode.CERTIFICATE_UNTRUSTED);
    const fp = peer.certificateFingerprint;
    const wire = err.toWire();
    const certificate = wire.details?.serverCertificate as Record<string, string>;
    expect(certificate).toMatchObject({ fingerprint: fp, subject: expect.stringContaining('CN=') as string, pem: peer.certificatePem });
    expect(Date.parse(certificate.validTo!)).toBeGreaterThan(Date.now());
    expect(wire.message).toBe(`server certificate ${fp} (${certificate.subject}) is not trusted: add its fingerprint to trustedServerCertificates`);
    expect(driver.link()).toBe('error');
    expect(driver.lastError()).toBe(wire.message);
    expect(driver.details()).toMatchObject({ untrustedServerCertificateFingerprint: fp, untrustedServerCertificateSubject: certificate.subject });
    // Nothing was sent on a secured channel: the server never saw a session from this agent.
    expect(peer.sessionCount).toBe(0);
    await harness.stop(driver);

    // The operator adds the fingerprint as the heartbeat or test-connection showed it (any case, colons allowed).
    const pinned = fp.toUpperCase().match(/../g)!.join(':');
    const trusted = await harness.start(opcuaDevice({ ...settings, trustedServerCertificates: [pinned] }, [readDouble]));
    await trusted.waitConnected(15_000);
    expect(trusted.details().untrustedServerCertificateFingerprint).toBeNull();
    await harness.stop(trusted);
  });

  it('answers test-connection with the untrusted certificate for the operator to review', async () => {
    const device = opcuaDevice(
      { endpointUrl: peer.endpointUrl, securityMode: 'Sign', securityPolicy: 'Aes128_Sha256_RsaOaep', userIdentity: { type: 'username', ...USER } },
      [readDouble],
      'commissioning',
    );
    const context = { stateDir: await harness.sharedStateDir(), log: harness.log };
    const result = await testConnection(device, defaultDriverRegistry(), context, new Deadline(15_000));
    expect(result.ok).toBe(false);
    expect(result.error?.code).toBe(ErrorCode.CERTIFICATE_UNTRUSTED);
    expect(result.serverCertificate?.fingerprint).toBe(peer.certificateFingerprint);

    const pinned = opcuaDevice({ ...device.settings, trustedServerCertificates: [result.serverCertificate!.fingerprint] }, [readDouble], 'commissioning');
    const ok = await testConnection(pinned, defaultDriverRegistry(), context, new Deadline(15_000));
    expect(ok).toMatchObject({ ok: true, message: "connected to 'commissioning' and read 1 tag" });
    expect(ok.groups[0]?.values).toEqual({ double: 2.718281828459045 });
  });

  it('says at once when the server rejects the user', async () => {
    const driver = await harness.start(
      opcuaDevice({
        endpointUrl: peer.endpointUrl,
        securityMode: 'SignAndEncrypt',
        securityPolicy: 'Basic256Sha256',
        trustedServerCertificates: [peer.certificateFingerprint],
        userIdentity: { type: 'username', username: USER.username, password: 'wrong' },
      }),
    );
    const started = Date.now();
    const err = await rejection(driver.waitConnected(20_000));
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(err.code).toBe(ErrorCode.DEVICE_ERROR);
    expect(err.message).toBe(`cannot connect to ${peer.endpointUrl}: the server rejected the username user identity (BadUserAccessDenied): check userIdentity`);
    expect(driver.link()).toBe('error');
    await harness.stop(driver);
  });

  it('does not fail start() when nothing listens, and says why it is not connected', async () => {
    const endpointUrl = `opc.tcp://localhost:${await freePort()}`;
    const started = Date.now();
    const driver = await harness.start(opcuaDevice({ endpointUrl, reconnectMinMs: 200, reconnectMaxMs: 1000 }));
    expect(Date.now() - started).toBeLessThan(5000);
    await eventually(async () => driver.link() === 'error', 'the failed attempt', 10_000);
    expect(driver.lastError()).toBe(`cannot connect to ${endpointUrl}: ${endpointUrl} refused the connection (is the server running and listening on that port?)`);
    const err = await rejection(driver.waitConnected(1000));
    expect(err.code).toBe(ErrorCode.DEVICE_ERROR);
    expect(err.message).toBe(`not connected to ${endpointUrl} after 1000 ms: ${driver.lastError()}`);
    // It keeps trying on its own.
    const attempts = driver.details().connectAttempts as number;
    await eventually(async () => (driver.details().connectAttempts as number) > attempts + 1, 'more attempts', 10_000);
    await harness.stop(driver);
  });
});

describe('OPC UA driver: a strict server', { timeout: 60_000 }, () => {
  let peer: OpcUaPeer;
  const harness = new DriverHarness();

  beforeAll(async () => {
    peer = await OpcUaPeer.start({ users: [USER], allowAnonymous: false, acceptClientCertificates: false });
  });

  afterAll(async () => {
    await harness.dispose();
    await peer?.dispose();
  });

  it('says the endpoint does not take anonymous users', async () => {
    const driver = await harness.start(
      opcuaDevice({ endpointUrl: peer.endpointUrl, securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256', trustedServerCertificates: [peer.certificateFingerprint] }),
    );
    const err = await rejection(driver.waitConnected(20_000));
    expect(err.code).toBe(ErrorCode.DEVICE_ERROR);
    expect(err.message).toBe(`cannot connect to ${peer.endpointUrl}: the SignAndEncrypt/Basic256Sha256 endpoint does not accept anonymous users; it accepts UserName, Certificate`);
    await harness.stop(driver);
  });

  it('says the server does not trust the agent’s certificate, with the thumbprint to trust', async () => {
    const driver = await harness.start(
      opcuaDevice({
        endpointUrl: peer.endpointUrl,
        securityMode: 'Sign',
        securityPolicy: 'Basic256Sha256',
        trustedServerCertificates: [peer.certificateFingerprint],
        userIdentity: { type: 'username', ...USER },
      }),
    );
    const err = await rejection(driver.waitConnected(20_000));
    expect(err.code).toBe(ErrorCode.DEVICE_ERROR);
    expect(err.message).toBe(
      `cannot connect to ${peer.endpointUrl}: the server refused the agent's application certificate (BadSecurityChecksFailed): trust it on the server (SHA-1 thumbprint ${driver.details().clientCertificateThumbprint as string})`,
    );
    await harness.stop(driver);
  });
});
