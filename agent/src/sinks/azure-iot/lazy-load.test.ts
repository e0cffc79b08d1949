import { createRequire } from 'node:module';
import { AzureIotSinkSettingsSchema } from '@edgefleet/protocol';
import { describe, expect, it } from 'vitest';
import { silentLog } from '../../test-support/fixtures.js';
import { AzureIotTransport } from './azure-iot-transport.js';

const require = createRequire(import.meta.url);
const loaded = (pkg: string) => Object.keys(require.cache).some((file) => file.includes(`/node_modules/${pkg}/`));

describe('loading the Azure IoT device SDK', () => {
  it('happens when an Azure transport starts, not when its module loads or the transport is made', async () => {
    // Port 1 on 127.0.0.1: nothing listens, so the attempt fails at once and never leaves the host.
    const settings = AzureIotSinkSettingsSchema.parse({ auth: { type: 'sas', hostName: '127.0.0.1:1', deviceId: 'dev', sharedAccessKey: 'a2V5' } });
    const transport = new AzureIotTransport(settings, { agentId: 'agent', sinkName: 'azure', log: silentLog });
    expect(loaded('azure-iot-device')).toBe(false);
    expect(loaded('azure-iot-device-mqtt')).toBe(false);
    transport.start();
    try {
      await expect.poll(() => loaded('azure-iot-device') && loaded('azure-iot-device-mqtt')).toBe(true);
      await expect.poll(() => transport.link()).toBe('disconnected');
      expect(transport.lastError()).toMatch(/cannot connect to IoT Hub 127\.0\.0\.1:1: .*ECONNREFUSED/);
    } finally {
      await transport.stop();
    }
  });
});
