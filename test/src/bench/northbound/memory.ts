import { readFile } from 'node:fs/promises';
import { percentile } from '../stats.js';

interface Sample {
  rss: number;
  anon: number;
  file: number;
}

async function read(pid: number): Promise<Sample & { hwm: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)\\s+kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
  return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile'), hwm: kb('VmHWM') };
}

export interface MemoryWindow {
  rssMedianBytes: number;
  rssMaxBytes: number;
  /** Of the RSS at its max: private memory (heap, malloc) and pages of mapped files. */
  anonMaxBytes: number;
  fileMaxBytes: number;
  /** The process's peak RSS since it started (VmHWM). */
  rssPeakBytes: number;
  samples: number;
}

/**
 * A process's RSS sampled every `sampleMs`, split as /proc/<pid>/status does: `RssAnon` (the V8
 * heap, malloc, buffers) and `RssFile` (pages of mapped files in memory). The split matters for
 * the sink's buffer: LMDB reads its data file through a memory map, so every page the drain
 * reads counts in the RSS as a clean file page, which the kernel can take back at any time.
 */
export class MemorySampler {
  private readonly samples: Sample[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly pid: number,
    private readonly sampleMs = 100,
  ) {}

  async start(): Promise<void> {
    this.samples.push(await read(this.pid));
    this.timer = setInterval(() => {
      read(this.pid).then(
        (s) => this.samples.push(s),
        () => undefined,
      );
    }, this.sampleMs);
  }

  async stop(): Promise<MemoryWindow> {
    if (this.timer) clearInterval(this.timer);
    const last = await read(this.pid);
    this.samples.push(last);
    const max = this.samples.reduce((a, b) => (b.rss > a.rss ? b : a));
    return {
      rssMedianBytes: percentile(
        this.samples.map((s) => s.rss),
        50,
      ),
      rssMaxBytes: max.rss,
      anonMaxBytes: Math.max(...this.samples.map((s) => s.anon)),
      fileMaxBytes: Math.max(...this.samples.map((s) => s.file)),
      rssPeakBytes: last.hwm,
      samples: this.samples.length,
    };
  }
}
