import { describe, expect, it } from 'vitest';
import { deviceTopic, invalidSparkplugId, nodeTopic, parseSparkplugTopic } from './topics.js';

describe('Sparkplug topics', () => {
  it('builds node and device topics', () => {
    expect(nodeTopic('G', 'NBIRTH', 'E')).toBe('spBv1.0/G/NBIRTH/E');
    expect(deviceTopic('G', 'DDATA', 'E', 'D')).toBe('spBv1.0/G/DDATA/E/D');
  });

  it('parses node and device topics and nothing else', () => {
    expect(parseSparkplugTopic('spBv1.0/G/NCMD/E')).toEqual({ groupId: 'G', messageType: 'NCMD', edgeNodeId: 'E' });
    expect(parseSparkplugTopic('spBv1.0/G/DCMD/E/D')).toEqual({ groupId: 'G', messageType: 'DCMD', edgeNodeId: 'E', deviceId: 'D' });
    expect(parseSparkplugTopic('spBv1.0/G/DCMD/E')).toBeNull();
    expect(parseSparkplugTopic('spBv1.0/G/NCMD/E/D')).toBeNull();
    expect(parseSparkplugTopic('spBv1.0/STATE/host')).toBeNull();
    expect(parseSparkplugTopic('spAv1.0/G/NCMD/E')).toBeNull();
    expect(parseSparkplugTopic('spBv1.0/G/DCMD/E/D/x')).toBeNull();
  });

  it('refuses IDs that are not single topic levels', () => {
    expect(invalidSparkplugId('Line 1')).toBeNull();
    expect(invalidSparkplugId('')).not.toBeNull();
    for (const id of ['a/b', 'a+', '#']) expect(invalidSparkplugId(id)).not.toBeNull();
  });
});
