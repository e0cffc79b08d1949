import { describe, expect, it } from 'vitest';
import { loadEnv } from './env.js';

const base = {
  DATABASE_URL: 'postgresql://u@localhost/db',
  EDGEFLEET_BROKER_URL: 'mqtts://broker:8883',
  EDGEFLEET_PUBLIC_BROKER_URL: 'mqtts://broker.example.com:8883',
  EDGEFLEET_ADMIN_PASSWORD: 'long enough',
};

describe('loadEnv', () => {
  it('applies defaults', () => {
    const env = loadEnv(base);
    expect(env.PORT).toBe(8080);
    expect(env.EDGEFLEET_SHARED_SUBSCRIPTIONS).toBe(true);
    expect(env.EDGEFLEET_HEALTH_SAMPLE_MS).toBe(30_000);
    expect(loadEnv({ ...base, EDGEFLEET_HEALTH_SAMPLE_MS: '5000' }).EDGEFLEET_HEALTH_SAMPLE_MS).toBe(5000);
  });

  it('names the bad variable', () => {
    expect(() => loadEnv({ ...base, PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadEnv({ ...base, EDGEFLEET_HEALTH_SAMPLE_MS: '10' })).toThrow(/EDGEFLEET_HEALTH_SAMPLE_MS/);
    expect(() => loadEnv({ ...base, DATABASE_URL: undefined })).toThrow(/DATABASE_URL/);
    expect(() => loadEnv({ ...base, EDGEFLEET_BROKER_CERT_FILE: '/x' })).toThrow(/EDGEFLEET_BROKER_KEY_FILE/);
  });
});
