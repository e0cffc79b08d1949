import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceSchema, ErrorCode } from '@edgefleet/protocol';
import { silentLog } from '../../test-support/fixtures.js';
import { AgentError } from '../../util/errors.js';
import { defaultDriverRegistry } from '../registry.js';
import { OpcUaDriver } from './opcua-driver.js';

const requireHere = createRequire(import.meta.url);
const opcuaLoaded = (): boolean => Object.keys(requireHere.cache).some((file) => file.includes(`${path.sep}node-opcua-client${path.sep}`));

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('OPC UA driver', () => {
  let stateDir: string;
  beforeAll(async () => {
    stateDir = await mkdtemp(path.join(os.tmpdir(), 'ef-opcua-driver-'));
  });
  afterAll(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  it('is registered, and loads node-opcua only when started', async () => {
    const endpointUrl = `opc.tcp://127.0.0.1:${await closedPort()}`;
    const device = DeviceSchema.parse({ name: 'plc', driver: 'opcua', settings: { endpointUrl, reconnectMinMs: 100, reconnectMaxMs: 200 } });
    const driver = defaultDriverRegistry().create(device, { stateDir, log: silentLog });
    expect(driver).toBeInstanceOf(OpcUaDriver);
    expect(opcuaLoaded()).toBe(false);
    expect(driver.link()).toBe('disconnected');
    expect(driver.lastError()).toBeNull();
    expect(driver.details?.()).toEqual({ session: 'none' });
    await expect(driver.waitConnected(100)).rejects.toMatchObject({ code: ErrorCode.DEVICE_ERROR, message: "device 'plc' is not started" });
    await expect(driver.readGroup({ name: 'g', intervalMs: 1000, tags: [] })).rejects.toBeInstanceOf(AgentError);

    // start() does not wait for the server (nothing listens there) and does not fail.
    await driver.start();
    expect(opcuaLoaded()).toBe(true);
    expect((await stat(path.join(stateDir, 'opcua', 'pki', 'own', 'certs', 'client_certificate.pem'))).isFile()).toBe(true);
    expect(['connecting', 'error']).toContain(driver.link());
    await expect(driver.waitConnected(300)).rejects.toMatchObject({ code: ErrorCode.DEVICE_ERROR });
    expect(driver.link()).toBe('error');
    expect(driver.lastError()).toContain('refused the connection');
    await driver.stop();
    expect(driver.link()).toBe('disconnected');
    // Stopping twice is harmless.
    await driver.stop();
  });
});
