import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { percentile } from '../stats.js';

/** Clock ticks per second of /proc/<pid>/stat times (100 on every Linux we meet; asked anyway). */
const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU time (user + system) a process has used so far, in seconds. */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so utime (14) and stime (15) are at 11 and 12.
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

async function memory(pid: number): Promise<{ rss: number; hwm: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)\\s+kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

export interface ProcessWindow {
  seconds: number;
  /** CPU over the window, in % of one core. */
  cpuPercent: number;
  cpuSeconds: number;
  rssMedianBytes: number;
  rssMaxBytes: number;
  /** The process's peak RSS since it started (VmHWM), start-up included. */
  rssPeakBytes: number;
  samples: number;
}

/**
 * Measures one process over a window: CPU from /proc/<pid>/stat at both ends, RSS sampled every
 * `sampleMs`. Measures another process without touching it, so what it costs is its own.
 */
export class ProcessSampler {
  private readonly rss: number[] = [];
  private timer: NodeJS.Timeout | undefined;
  private cpu0 = 0;
  private t0 = 0;

  constructor(
    readonly pid: number,
    private readonly sampleMs = 1000,
  ) {}

  async start(): Promise<void> {
    this.cpu0 = await cpuSeconds(this.pid);
    this.t0 = performance.now();
    this.rss.push((await memory(this.pid)).rss);
    this.timer = setInterval(() => {
      memory(this.pid).then(
        (m) => this.rss.push(m.rss),
        () => undefined,
      );
    }, this.sampleMs);
  }

  async stop(): Promise<ProcessWindow> {
    if (this.timer) clearInterval(this.timer);
    const cpu = (await cpuSeconds(this.pid)) - this.cpu0;
    const seconds = (performance.now() - this.t0) / 1000;
    const m = await memory(this.pid);
    this.rss.push(m.rss);
    return {
      seconds,
      cpuPercent: (cpu / seconds) * 100,
      cpuSeconds: cpu,
      rssMedianBytes: percentile(this.rss, 50),
      rssMaxBytes: Math.max(...this.rss),
      rssPeakBytes: m.hwm,
      samples: this.rss.length,
    };
  }
}

/** The whole machine's CPU use over a window (from /proc/stat), in % of all cores: shows how noisy the run was. */
export class MachineCpu {
  private start: { busy: number; total: number } | undefined;

  private static async read(): Promise<{ busy: number; total: number }> {
    const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0] ?? '';
    const n = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = (n[3] ?? 0) + (n[4] ?? 0);
    const total = n.slice(0, 8).reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  }

  async begin(): Promise<void> {
    this.start = await MachineCpu.read();
  }

  async end(): Promise<number> {
    const now = await MachineCpu.read();
    const s = this.start ?? now;
    return now.total === s.total ? 0 : ((now.busy - s.busy) / (now.total - s.total)) * 100;
  }
}
