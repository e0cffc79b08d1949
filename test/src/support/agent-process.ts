import { mkdir } from 'node:fs/promises';
import { startLocalAgent, type AgentExit } from '../../../control-plane/dist/embedded/launcher/local-agent.js';

export interface SpawnAgentOptions {
  stateDir: string;
  /** With `token`: enroll on first run. Leave both out to restart an enrolled agent. */
  controlPlaneUrl?: string;
  token?: string;
  name?: string;
  hardwareId?: string;
  /** More CLI arguments, e.g. `['--log-level', 'debug']`. */
  args?: string[];
}

export interface AgentProcess {
  pid: number | undefined;
  /** Every output line so far, stdout and stderr interleaved. */
  readonly lines: readonly string[];
  output(): string;
  /** Resolves with the first line (already seen or to come) matching `pattern`. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<AgentExit>;
  /** SIGTERM and wait for the exit (SIGKILL after a grace period). */
  stop(): Promise<void>;
  /** e.g. `kill('SIGKILL')` to simulate a power cut. */
  kill(signal: NodeJS.Signals): void;
}

/** Runs `agent/dist/cli.js run` as a child process, the way a box would, with its output captured. */
export async function spawnAgent(opts: SpawnAgentOptions): Promise<AgentProcess> {
  if ((opts.controlPlaneUrl === undefined) !== (opts.token === undefined)) throw new Error('spawnAgent: controlPlaneUrl and token go together');
  await mkdir(opts.stateDir, { recursive: true });
  const lines: string[] = [];
  const waiters = new Set<{ pattern: RegExp; resolve: (line: string) => void }>();
  const enroll =
    opts.controlPlaneUrl !== undefined && opts.token !== undefined
      ? { controlPlaneUrl: opts.controlPlaneUrl, token: opts.token, name: opts.name ?? 'test-agent', hardwareId: opts.hardwareId ?? `hw-${opts.stateDir}` }
      : undefined;
  const agent = startLocalAgent({
    stateDir: opts.stateDir,
    ...(enroll ? { enroll } : {}),
    ...(opts.args ? { extraArgs: opts.args } : {}),
    output: (line) => {
      lines.push(line);
      for (const w of waiters) {
        if (w.pattern.test(line)) {
          waiters.delete(w);
          w.resolve(line);
        }
      }
    },
  });
  return {
    pid: agent.pid,
    lines,
    output: () => lines.join('\n'),
    waitForOutput: (pattern, timeoutMs = 15_000) => {
      const seen = lines.find((l) => pattern.test(l));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const waiter = {
          pattern,
          resolve: (line: string) => {
            clearTimeout(timer);
            resolve(line);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`agent printed nothing matching ${pattern} within ${timeoutMs} ms; output:\n${lines.slice(-30).join('\n')}`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    exited: agent.exited,
    stop: () => agent.stop(),
    kill: (signal) => agent.kill(signal),
  };
}
