import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const sdkLoaded = () => Object.keys(require.cache).some((file) => /\/node_modules\/(aws-iot-device-sdk-v2|aws-crt)\//.test(file));

describe('loading aws-iot-device-sdk-v2', () => {
  it('happens when the AWS IoT transport is first used, not when its module is imported', async () => {
    const mod = await import('./aws-iot-transport.js');
    expect(typeof mod.AwsIotTransport).toBe('function');
    expect(sdkLoaded()).toBe(false);
    await mod.loadAwsIotSdk();
    expect(sdkLoaded()).toBe(true);
  });
});
