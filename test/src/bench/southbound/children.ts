import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { rmSync } from 'node:fs';
import readline from 'node:readline';

/**
 * Child processes of the southbound bench (servers, workers, the agent): their output lines,
 * JSON lines parsed, and a registry so every one of them is stopped however the bench ends.
 */
export interface Child {
  readonly name: string;
  readonly pid: number;
  readonly proc: ChildProcess;
  /** Every output line so far (stdout and stderr). */
  readonly lines: string[];
  output(last?: number): string;
  /** Resolves with the first JSON line (seen or to come) for which `pick` returns a value. */
  waitForJson<T>(pick: (msg: Record<string, unknown>) => T | undefined, timeoutMs: number, what: string): Promise<T>;
  /** Writes a line to the child's stdin (when it was opened as a pipe). */
  send(line: string): void;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, SIGKILL after `graceMs`; resolves once it has exited. Never throws. */
  stop(graceMs?: number): Promise<void>;
}

const running = new Set<Child>();

process.once('exit', () => {
  // Last resort (a crash, process.exit): nothing we started may outlive us.
  for (const c of running) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
});

export async function stopAllChildren(): Promise<void> {
  await Promise.all([...running].map((c) => c.stop()));
}

const tempDirs = new Set<string>();

/** A temp dir to remove when the bench ends, however it ends (see `removeTempDirs`). */
export function registerTempDir(dir: string): void {
  tempDirs.add(dir);
}

export function removeTempDirs(): void {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

export function startChild(name: string, command: string, args: string[], options: SpawnOptions & { keepStdin?: boolean } = {}): Child {
  const { keepStdin, ...spawnOptions } = options;
  // stdin stays open as a pipe: the servers exit when it closes, so they die with the bench.
  const proc = spawn(command, args, { ...spawnOptions, stdio: [keepStdin === false ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const jsonWaiters = new Set<(msg: Record<string, unknown>) => boolean>();
  const onLine = (line: string) => {
    lines.push(line);
    if (lines.length > 5000) lines.splice(0, lines.length - 4000);
    if (!line.startsWith('{')) return;
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    for (const w of jsonWaiters) if (w(msg)) jsonWaiters.delete(w);
  };
  if (proc.stdout) readline.createInterface({ input: proc.stdout }).on('line', onLine);
  if (proc.stderr) readline.createInterface({ input: proc.stderr }).on('line', onLine);
  proc.stdin?.on('error', () => undefined);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.once('exit', (code, signal) => resolve({ code, signal }));
    proc.once('error', (err) => {
      lines.push(`could not start ${command}: ${err.message}`);
      resolve({ code: null, signal: null });
    });
  });
  let stopping: Promise<void> | undefined;
  const child: Child = {
    name,
    pid: proc.pid ?? -1,
    proc,
    lines,
    output: (last = 40) => lines.slice(-last).join('\n'),
    waitForJson: <T>(pick: (msg: Record<string, unknown>) => T | undefined, timeoutMs: number, what: string) =>
      new Promise<T>((resolve, reject) => {
        for (const line of lines) {
          if (!line.startsWith('{')) continue;
          try {
            const v = pick(JSON.parse(line) as Record<string, unknown>);
            if (v !== undefined) return resolve(v);
          } catch {
            // not JSON after all
          }
        }
        const timer = setTimeout(() => {
          jsonWaiters.delete(waiter);
          reject(new Error(`${name}: timed out after ${timeoutMs} ms waiting for ${what}; its output:\n${child.output()}`));
        }, timeoutMs);
        const waiter = (msg: Record<string, unknown>): boolean => {
          const v = pick(msg);
          if (v === undefined) return false;
          clearTimeout(timer);
          resolve(v);
          return true;
        };
        jsonWaiters.add(waiter);
        void exited.then(({ code, signal }) => {
          if (!jsonWaiters.has(waiter)) return;
          jsonWaiters.delete(waiter);
          clearTimeout(timer);
          reject(new Error(`${name} exited (code ${code}, signal ${signal}) before ${what}; its output:\n${child.output()}`));
        });
      }),
    send: (line: string) => {
      proc.stdin?.write(`${line}\n`);
    },
    exited,
    stop: (graceMs = 10_000) => {
      stopping ??= (async () => {
        if (proc.exitCode === null && proc.signalCode === null) {
          proc.kill('SIGTERM');
          const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
          await exited;
          clearTimeout(timer);
        }
        proc.stdin?.destroy();
        running.delete(child);
      })();
      return stopping;
    },
  };
  running.add(child);
  void exited.then(() => {
    if (!stopping) running.delete(child);
  });
  return child;
}
