import { describe, expect, it } from 'vitest';
import { AwsIotSinkSettingsSchema } from '@edgefleet/protocol';
import { silentLog } from '../../test-support/fixtures.js';
import { AwsIotTransport, awsTopic } from './aws-iot-transport.js';

describe('awsTopic', () => {
  it('leaves the topic alone without Basic Ingest', () => {
    expect(awsTopic({}, 'edgefleet/a1/plc/fast')).toBe('edgefleet/a1/plc/fast');
  });
  it("prefixes Basic Ingest's reserved topic with the rule's name", () => {
    expect(awsTopic({ basicIngestRule: 'telemetry_rule' }, 'edgefleet/a1/plc/fast')).toBe('$aws/rules/telemetry_rule/edgefleet/a1/plc/fast');
  });
});

describe('AwsIotTransport without a connection', () => {
  const settings = AwsIotSinkSettingsSchema.parse({
    endpoint: 'example-ats.iot.eu-west-1.amazonaws.com',
    thingName: 'thing-1',
    certificate: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
    privateKey: '-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n',
  });

  it('is disconnected before start, refuses to send, and stops at once', async () => {
    const transport = new AwsIotTransport(settings, { agentId: 'a1', sinkName: 'aws', log: silentLog });
    expect(transport.link()).toBe('disconnected');
    expect(transport.lastError()).toBeNull();
    await expect(transport.send({ topic: 't', payload: Buffer.from('x'), seq: 1 })).rejects.toThrow(/not connected/);
    await transport.stop();
    expect(transport.link()).toBe('disconnected');
  });

  it('reports a key the TLS stack cannot use as an error, without the key', async () => {
    const transport = new AwsIotTransport(settings, { agentId: 'a1', sinkName: 'aws', log: silentLog });
    const links: string[] = [];
    transport.onLinkChange((l) => links.push(l));
    transport.start();
    try {
      for (let i = 0; i < 100 && transport.link() !== 'error'; i++) await new Promise((r) => setTimeout(r, 50));
      expect(transport.link()).toBe('error');
      expect(links).toEqual(['connecting', 'error']);
      expect(transport.lastError()).toMatch(/TLS/);
      expect(transport.lastError()).not.toContain('MIIB');
    } finally {
      await transport.stop();
    }
  });
});
