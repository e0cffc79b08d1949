import { access, chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MOSQUITTO_BIN } from '../../support/mosquitto.js';
import { canConnect, freePort } from '../../support/ports.js';
import { cpuSeconds } from '../southbound/proc-stats.js';
import { registerTempDir, startChild, type Child } from '../southbound/children.js';

export interface LocalBroker {
  url: string;
  port: number;
  /** The running broker's pid (changes with a restart). */
  pid(): number;
  /** Its CPU time so far, in seconds (0 when it is not running). */
  cpuSeconds(): Promise<number>;
  /** SIGTERM: Mosquitto saves its sessions (persistence) and exits. */
  stop(): Promise<void>;
  /** Starts it again on the same port, with the sessions it saved. */
  start(): Promise<void>;
  /** Stops it and removes its directory. */
  dispose(): Promise<void>;
}

/**
 * Debian's Mosquitto as a user's plant broker: plain TCP on 127.0.0.1 and a random free port,
 * anonymous, `set_tcp_nodelay true`. Persistence is on so a consumer's session (clean: false,
 * QoS 1) survives a restart: the drain section stops the broker to make the sink buffer and
 * starts it again, and the consumer must not miss what the sink sends before it is back. No
 * queue or in-flight limit towards that consumer (Mosquitto's defaults, 1,000 queued and 20 in
 * flight, would drop or throttle a consumer of a 100,000-message backlog).
 */
export async function startLocalBroker(): Promise<LocalBroker> {
  await access(MOSQUITTO_BIN).catch(() => {
    throw new Error(`Mosquitto is not installed (${MOSQUITTO_BIN} is missing): apt-get install -y mosquitto`);
  });
  const host = '127.0.0.1';
  const dir = await mkdtemp(path.join(os.tmpdir(), 'edgefleet-bench-nb-mosquitto-'));
  registerTempDir(dir);
  // Started as root, Mosquitto drops to the `mosquitto` user, which must read the config and write its database.
  await chmod(dir, 0o777);
  const config = path.join(dir, 'mosquitto.conf');
  let port = 0;
  let child: Child | undefined;

  const launch = async (): Promise<boolean> => {
    const c = startChild('mosquitto', MOSQUITTO_BIN, ['-c', config], { keepStdin: false });
    const deadline = Date.now() + 10_000;
    let up = false;
    while (!up && Date.now() < deadline && c.proc.exitCode === null) {
      up = await canConnect(port, host);
      if (!up) await new Promise((r) => setTimeout(r, 20));
    }
    if (up) {
      child = c;
      return true;
    }
    await c.stop(1000);
    if (!c.output().includes('Address already in use')) throw new Error(`Mosquitto did not start on port ${port}:\n${c.output()}`);
    return false;
  };

  for (let attempt = 0; attempt < 3 && !child; attempt++) {
    port = await freePort(host);
    await writeFile(
      config,
      [
        'per_listener_settings false',
        'allow_anonymous true',
        'set_tcp_nodelay true',
        'persistence true',
        `persistence_location ${dir}/`,
        'max_queued_messages 0',
        'max_inflight_messages 0',
        'log_dest stdout',
        'log_type error',
        'log_type warning',
        `listener ${port} ${host}`,
        '',
      ].join('\n'),
    );
    await chmod(config, 0o644);
    await launch();
  }
  if (!child) throw new Error('Mosquitto did not start: no free port');

  const stop = async () => {
    const c = child;
    child = undefined;
    await c?.stop(5000);
  };
  return {
    url: `mqtt://${host}:${port}`,
    port,
    pid: () => child?.pid ?? -1,
    cpuSeconds: async () => (child ? cpuSeconds(child.pid) : 0),
    stop,
    start: async () => {
      if (child) return;
      // The port was ours a moment ago; nobody else should take it in between.
      if (!(await launch())) throw new Error(`Mosquitto could not take port ${port} again`);
    },
    dispose: async () => {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
