import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { EnrollmentTokenCreatedSchema, LoginResponseSchema } from '@edgefleet/protocol';
import { HttpApi } from '../http-api.js';

/** The agent CLI, built by `npm run build` next to this package. */
export const AGENT_CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../agent/dist/cli.js');

const FleetListSchema = z.union([
  z.array(z.object({ id: z.string(), name: z.string() })),
  z.object({ items: z.array(z.object({ id: z.string(), name: z.string() })) }).transform((page) => page.items),
]);

/** Has the agent in this state dir enrolled already? (`identity.json` is written last.) */
export function hasAgentIdentity(stateDir: string): boolean {
  return existsSync(path.join(stateDir, 'identity.json'));
}

/** Stable across restarts of one installation, distinct between installations on one host. */
export function localHardwareId(dataDir: string): string {
  return `local-${createHash('sha256').update(`${os.hostname()}\0${path.resolve(dataDir)}`).digest('hex').slice(0, 12)}`;
}

/**
 * Creates a single-use enrollment token for the `default` fleet the way an operator would:
 * log in, find the fleet, ask for a token.
 */
export async function createLocalEnrollmentToken(apiUrl: string, username: string, password: string): Promise<string> {
  const api = new HttpApi(apiUrl);
  const login = await api.request('POST', '/api/v1/auth/login', { username, password }, LoginResponseSchema);
  api.token = login.token;
  const fleets = await api.request('GET', '/api/v1/fleets', undefined, FleetListSchema);
  const fleet = fleets.find((f) => f.name === 'default');
  if (!fleet) throw new Error('the control plane has no fleet named "default"');
  const created = await api.request(
    'POST',
    `/api/v1/fleets/${encodeURIComponent(fleet.id)}/enrollment-tokens`,
    { description: 'local agent', maxUses: 1 },
    EnrollmentTokenCreatedSchema,
  );
  return created.token;
}

export interface LocalAgentOptions {
  stateDir: string;
  /** With `token`: enroll first (the state dir holds no identity yet). */
  enroll?: { controlPlaneUrl: string; token: string; name: string; hardwareId: string };
  /** Receives each output line of the agent. */
  output: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Called when the agent exits without being asked to. */
  onUnexpectedExit?: (code: number | null, signal: NodeJS.Signals | null) => void;
  cliPath?: string;
  /** More CLI arguments, e.g. `['--log-level', 'debug']`. */
  extraArgs?: string[];
}

export interface AgentExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface LocalAgent {
  pid: number | undefined;
  /** Settles when the process has exited (or could not be started). */
  exited: Promise<AgentExit>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
  stop(graceMs?: number): Promise<void>;
  kill(signal?: NodeJS.Signals): void;
}

export function agentArguments(opts: Pick<LocalAgentOptions, 'stateDir' | 'enroll' | 'extraArgs'>): string[] {
  const args = ['run', '--state-dir', opts.stateDir, ...(opts.extraArgs ?? [])];
  if (opts.enroll) {
    const e = opts.enroll;
    // `--option=value`: a token is base64url and starts with '-' one time in 64, which a separate
    // argument would make look like an option (node:util parseArgs refuses it as ambiguous).
    args.push(`--control-plane=${e.controlPlaneUrl}`, `--token=${e.token}`, `--name=${e.name}`, `--hardware-id=${e.hardwareId}`);
  }
  return args;
}

/**
 * Runs the agent CLI as a child process. It gets a process group of its own, so a terminal's
 * Ctrl-C reaches only the launcher, which then stops the agent first and waits for it.
 */
export function startLocalAgent(opts: LocalAgentOptions): LocalAgent {
  const cli = opts.cliPath ?? AGENT_CLI;
  if (!existsSync(cli)) throw new Error(`the agent is not built (${cli} is missing): run npm run build`);
  const child: ChildProcess = spawn(process.execPath, [cli, ...agentArguments(opts)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    env: process.env,
  });
  // If the launcher itself exits without stopping the agent (a crash), take the agent along.
  const reap = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', reap);
  for (const stream of ['stdout', 'stderr'] as const) {
    const source = child[stream];
    if (source) readline.createInterface({ input: source }).on('line', (line) => opts.output(line, stream));
  }
  let stopping = false;
  const exited = new Promise<AgentExit>((resolve) => {
    child.once('exit', (code, signal) => {
      process.off('exit', reap);
      if (!stopping) opts.onUnexpectedExit?.(code, signal);
      resolve({ code, signal });
    });
    child.once('error', (err) => {
      process.off('exit', reap);
      opts.output(`could not start: ${err.message}`, 'stderr');
      resolve({ code: null, signal: null });
    });
  });
  return {
    pid: child.pid,
    exited,
    kill: (signal = 'SIGKILL') => {
      stopping = true;
      child.kill(signal);
    },
    stop: async (graceMs = 10_000) => {
      stopping = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
