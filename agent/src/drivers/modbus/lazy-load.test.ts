import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { config, silentLog } from '../../test-support/fixtures.js';
import { defaultDriverRegistry } from '../registry.js';

const require = createRequire(import.meta.url);
const modbusSerialLoaded = () => Object.keys(require.cache).some((file) => file.includes('/node_modules/modbus-serial/'));

describe('loading modbus-serial', () => {
  it('happens when a Modbus device starts, not when the agent (or the registry) loads', async () => {
    const registry = defaultDriverRegistry();
    const doc = config({ devices: [{ name: 'plc', driver: 'modbus-tcp', settings: { host: '127.0.0.1', port: 1 }, groups: [] }] });
    const driver = registry.create(doc.devices[0]!, { stateDir: '/nonexistent', log: silentLog });
    expect(modbusSerialLoaded()).toBe(false);
    await driver.start();
    try {
      expect(modbusSerialLoaded()).toBe(true);
    } finally {
      await driver.stop();
    }
  });
});
