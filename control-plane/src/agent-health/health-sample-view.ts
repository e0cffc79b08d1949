import type { AgentHealthSample as SampleRow } from '@prisma/client';
import { HealthSampleDeviceSchema, HealthSampleSinkSchema, type AgentHealthSample, type HealthSampleDevice, type HealthSampleSink, type HeartbeatMessage } from '@edgefleet/protocol';
import { z } from 'zod';
import type { NewHealthSample } from './health-sample.repository.js';

const SinksSchema = z.array(HealthSampleSinkSchema);
const DevicesSchema = z.array(HealthSampleDeviceSchema);

/** The part of a heartbeat a trend chart needs; the rest (driver details, counters of published messages) is left out to keep rows small. */
export function sampleOf(agentId: string, hb: HeartbeatMessage, at: Date): NewHealthSample {
  const sinks: HealthSampleSink[] = hb.sinks.map((s) => ({
    name: s.name,
    link: s.link,
    bufferDepth: s.bufferDepth,
    bufferOldestAgeMs: s.bufferOldestAgeMs,
    bufferBytes: s.bufferBytes ?? null,
    dropped: s.dropped,
  }));
  const devices: HealthSampleDevice[] = hb.devices.map((d) => ({
    name: d.name,
    link: d.link,
    polls: d.polls,
    pollErrors: d.pollErrors,
    tagErrors: d.tagErrors,
    lastError: d.lastError,
  }));
  return { agentId, at, cpuPercent: hb.cpuPercent, rssBytes: hb.rssBytes, heapUsedBytes: hb.heapUsedBytes, uptimeSec: hb.uptimeSec, sinks, devices };
}

/** The API's view of a sample row. JSON columns are re-checked, so a bad row cannot break the contract. */
export function toHealthSample(row: SampleRow): AgentHealthSample {
  const sinks = SinksSchema.safeParse(row.sinks);
  const devices = DevicesSchema.safeParse(row.devices);
  return {
    at: row.at.toISOString(),
    cpuPercent: row.cpuPercent,
    rssBytes: Number(row.rssBytes),
    heapUsedBytes: Number(row.heapUsedBytes),
    uptimeSec: row.uptimeSec,
    sinks: sinks.success ? sinks.data : [],
    devices: devices.success ? devices.data : [],
  };
}
