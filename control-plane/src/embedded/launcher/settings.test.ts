import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LaunchError, readLauncherSettings } from './settings.js';

describe('launcher settings', () => {
  it('defaults', () => {
    expect(readLauncherSettings({}, '/srv')).toEqual({ dataDir: path.resolve('/srv/.edgefleet'), httpPort: 8080, mqttPort: 8883, databaseUrl: undefined, adminPassword: undefined, healthSampleMs: 30_000 });
  });

  it('reads the environment and names a bad variable', () => {
    const s = readLauncherSettings({ PORT: '0', MQTT_PORT: '1883', EDGEFLEET_DATA_DIR: 'state', DATABASE_URL: 'postgresql://u@h/db' }, '/srv');
    expect(s).toMatchObject({ dataDir: '/srv/state', httpPort: 0, mqttPort: 1883, databaseUrl: 'postgresql://u@h/db' });
    expect(() => readLauncherSettings({ MQTT_PORT: '70000' })).toThrow(/MQTT_PORT/);
    expect(() => readLauncherSettings({ DATABASE_URL: 'mysql://x' })).toThrow(LaunchError);
    expect(readLauncherSettings({ EDGEFLEET_HEALTH_SAMPLE_MS: '10000' }).healthSampleMs).toBe(10_000);
    expect(() => readLauncherSettings({ EDGEFLEET_HEALTH_SAMPLE_MS: '500' })).toThrow(/EDGEFLEET_HEALTH_SAMPLE_MS/);
  });
});
