import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { percentile, round } from '../stats.js';
import { startChild } from '../southbound/children.js';
import type { AppendRun } from './append-worker.js';

const here = path.dirname(fileURLToPath(import.meta.url));

export interface AppendOptions {
  dir: string;
  tags: number[];
  durabilities: string[];
  rounds: number;
  seconds: number;
  cpuProfDir?: string;
  log: (line: string) => void;
}

export interface AppendCase {
  durability: string;
  tags: number;
  messageBytes: number;
  runs: number;
  messagesPerSecond: number;
  messagesPerSecondEach: number[];
  megabytesPerSecond: number;
  cpuMicrosPerMessage: number;
  flushedAfterMs: number;
  dropped: number;
}

/** Section 2: the durable buffer's append rate per durability and payload size (one worker process). */
export async function runAppend(opts: AppendOptions): Promise<AppendCase[]> {
  const nodeArgs = opts.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`, `--cpu-prof-name=append-${Date.now()}.cpuprofile`] : [];
  const args = [...nodeArgs, path.join(here, 'append-worker.js'), '--dir', opts.dir, '--tags', opts.tags.join(','), '--durability', opts.durabilities.join(','), '--rounds', String(opts.rounds), '--seconds', String(opts.seconds)];
  const child = startChild('append', process.execPath, args, { keepStdin: false });
  let seen = 0;
  const report = () => {
    for (; seen < child.lines.length; seen++) {
      const line = child.lines[seen] as string;
      if (!line.startsWith('{"progress"')) continue;
      const r = (JSON.parse(line) as { progress: AppendRun }).progress;
      opts.log(`${r.durability}, ${r.tags} tags (${r.messageBytes} B): ${Math.round(r.messagesPerSecond).toLocaleString('en')} msg/s, ${round(r.megabytesPerSecond)} MB/s; flushed ${round(r.flushedAfterMs)} ms after the last append${r.dropped ? `; ${r.dropped} DROPPED` : ''}`);
    }
  };
  const progress = setInterval(report, 200);
  try {
    const cases = opts.tags.length * opts.durabilities.length;
    const runs = await child.waitForJson((m) => m.result as AppendRun[] | undefined, opts.rounds * cases * (opts.seconds * 1000 + 10_000) + 30_000, 'the append results');
    report();
    await Promise.race([child.exited, new Promise((r) => setTimeout(r, 15_000).unref())]);
    const out: AppendCase[] = [];
    for (const tags of opts.tags) {
      for (const durability of opts.durabilities) {
        const mine = runs.filter((r) => r.tags === tags && r.durability === durability);
        if (mine.length === 0) continue;
        const rate = percentile(
          mine.map((r) => r.messagesPerSecond),
          50,
        );
        out.push({
          durability,
          tags,
          messageBytes: mine[0]!.messageBytes,
          runs: mine.length,
          messagesPerSecond: Math.round(rate),
          messagesPerSecondEach: mine.map((r) => Math.round(r.messagesPerSecond)),
          megabytesPerSecond: round((rate * mine[0]!.messageBytes) / 1e6, 1),
          cpuMicrosPerMessage: round(percentile(mine.map((r) => (r.cpuSeconds * 1e6) / Math.max(1, r.messages)), 50), 2),
          flushedAfterMs: round(percentile(mine.map((r) => r.flushedAfterMs), 50)),
          dropped: mine.reduce((n, r) => n + r.dropped, 0),
        });
      }
    }
    return out;
  } finally {
    clearInterval(progress);
    await child.stop();
  }
}
