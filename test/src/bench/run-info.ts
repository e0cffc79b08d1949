import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { round } from './stats.js';
import { removeTempDirs, stopAllChildren } from './southbound/children.js';

/** Which code was measured: the commit, and uncommitted changes to what the agent runs. */
export function source(): { commit: string; uncommittedAgentFiles: string[] } {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const dirty = git('status', '--porcelain', '--', 'agent/src', 'protocol/src')
      .split('\n')
      .filter(Boolean)
      .map((l) => l.slice(3));
    return { commit: git('rev-parse', 'HEAD').trim(), uncommittedAgentFiles: dirty };
  } catch {
    return { commit: 'unknown', uncommittedAgentFiles: [] };
  }
}

/** The machine a results file was measured on; the load average before and after shows how busy it was. */
export function machine(loadBefore: number[]) {
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    memoryGiB: round(os.totalmem() / 2 ** 30, 1),
    loadAverageBefore: loadBefore.map((x) => round(x, 2)),
    loadAverageAfter: os.loadavg().map((x) => round(x, 2)),
  };
}

export function fmt(n: number): string {
  return Math.round(n).toLocaleString('en');
}

/**
 * Runs a benchmark's `main` as the process's whole life: exits 0 when it is done, 1 when it
 * throws, 130 on Ctrl-C or SIGTERM; each way the workers it started are stopped and its temp
 * dirs removed.
 */
export function runBenchmark(name: string, main: () => Promise<void>): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`[${name}] ${signal}: stopping its servers, brokers and workers`);
      void stopAllChildren().finally(() => {
        removeTempDirs();
        process.exit(130);
      });
    });
  }
  main().then(
    () => process.exit(0),
    async (err: unknown) => {
      console.error(err);
      await stopAllChildren();
      removeTempDirs();
      process.exit(1);
    },
  );
}
