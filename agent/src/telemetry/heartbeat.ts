import type { DeviceStats, HeartbeatMessage, SinkStats } from '@edgefleet/protocol';

export interface HeartbeatSources {
  appliedRevision: () => number | null;
  devices: () => DeviceStats[];
  sinks: () => SinkStats[];
}

/**
 * Builds heartbeat messages. CPU is measured between consecutive beats with `process.cpuUsage`;
 * with several agents in one process every one of them reports the process's CPU, which is what
 * a benchmark wants to see.
 */
export class HeartbeatBuilder {
  private readonly startedAt: number;
  private lastCpu = process.cpuUsage();
  private lastAt: number;

  constructor(
    private readonly sources: HeartbeatSources,
    private readonly now: () => number = Date.now,
  ) {
    this.startedAt = now();
    this.lastAt = this.startedAt;
  }

  build(intervalMs?: number): HeartbeatMessage {
    const now = this.now();
    const cpu = process.cpuUsage(this.lastCpu);
    const elapsedUs = Math.max(1, (now - this.lastAt) * 1000);
    this.lastCpu = process.cpuUsage();
    this.lastAt = now;
    const memory = process.memoryUsage();
    return {
      at: new Date(now).toISOString(),
      uptimeSec: Math.max(0, (now - this.startedAt) / 1000),
      cpuPercent: Math.max(0, Math.round(((cpu.user + cpu.system) / elapsedUs) * 10_000) / 100),
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      appliedRevision: this.sources.appliedRevision(),
      ...(intervalMs !== undefined ? { intervalMs } : {}),
      devices: this.sources.devices(),
      sinks: this.sources.sinks(),
    };
  }
}
