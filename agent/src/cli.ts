#!/usr/bin/env node
// First, so the heap settings hold from the start (see the module).
import { fullGarbageCollector } from './runtime/heap-tuning.js';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { BootstrapFileSchema, describeIssues, parseJsonWith } from '@edgefleet/protocol';
import { createLogger, type LogLevel } from './log.js';
import { startAgent } from './runtime/agent.js';
import { enroll, type EnrollParams } from './identity/enroll.js';
import { DEFAULT_STATE_DIR, loadIdentity, statePaths } from './identity/state-dir.js';
import { readStatusFile } from './telemetry/status-file.js';
import { errorMessage } from './util/errors.js';
import { AGENT_VERSION } from './version.js';

const HELP = `edgefleet-agent ${AGENT_VERSION} — the EdgeFleet edge agent

Usage:
  edgefleet-agent run    [--state-dir DIR] [enrollment options] [--log-level LEVEL]
  edgefleet-agent enroll [--state-dir DIR] (--bootstrap FILE | --control-plane URL --token T)
                         [--hardware-id ID] [--name NAME]
  edgefleet-agent status [--state-dir DIR]

Options:
  --state-dir DIR        where identity, keys, last good config and status.json live
                         (default ${DEFAULT_STATE_DIR})
  --bootstrap FILE       bootstrap JSON {controlPlaneUrl, token, caFingerprint?}
  --control-plane URL    control plane base URL (with --token)
  --token T              enrollment token (write --token=T if it starts with '-')
  --hardware-id ID       stable box id (default: /etc/machine-id, else derived from hostname and MACs)
  --name NAME            display name proposed at enrollment
  --log-level LEVEL      error | warn | info | debug (default info)
  -h, --help             this text

'run' enrolls first if the state dir holds no identity and enrollment options are given,
then runs the last good config from disk and connects to the fleet broker.

Enrollment with a token that requires approval waits until an operator approves the box
(logging "waiting for approval by an operator" once, then asking again every 15 s or as the
control plane says, within 5 - 300 s). The key it asked with is kept in the state dir
(pending-enrollment.json), so after a restart it keeps waiting with the same key. A rejection
(ENROLLMENT_REJECTED), a request for the same box with another key (ENROLLMENT_KEY_MISMATCH),
a connected agent already holding this hardware id (AGENT_IDENTITY_IN_USE) or a refused token ends enrollment with the control plane's reason.`;

const LEVELS = ['error', 'warn', 'info', 'debug', 'trace', 'silent'];

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArguments(argv);
  const command = positionals[0];
  if (values.help || !command) {
    console.log(HELP);
    return values.help ? 0 : 2;
  }
  const level = values['log-level'] ?? 'info';
  if (!LEVELS.includes(level)) throw new UsageError(`--log-level must be one of ${LEVELS.join(', ')}`);
  const stateDir = values['state-dir'];
  const log = createLogger(level as LogLevel);

  const enrollParams = async (): Promise<EnrollParams | undefined> => {
    const extra = { ...(values['hardware-id'] ? { hardwareId: values['hardware-id'] } : {}), ...(values.name ? { name: values.name } : {}) };
    if (values.bootstrap) {
      const parsed = parseJsonWith(BootstrapFileSchema, await readFile(values.bootstrap, 'utf8'));
      if (!parsed.ok) throw new UsageError(`${values.bootstrap} is not a bootstrap file: ${describeIssues(parsed.issues)}`);
      return { ...parsed.value, ...extra };
    }
    if (values['control-plane'] || values.token) {
      if (!values['control-plane'] || !values.token) throw new UsageError('--control-plane and --token go together');
      return { controlPlaneUrl: values['control-plane'], token: values.token, ...extra };
    }
    return undefined;
  };

  switch (command) {
    case 'status': {
      const path = statePaths(stateDir).status;
      const status = await readStatusFile(path).catch((err: unknown) => {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`no ${path}; is an agent running with --state-dir ${stateDir}?`);
        throw err;
      });
      console.log(JSON.stringify(status, null, 2));
      return 0;
    }
    case 'enroll': {
      const existing = await loadIdentity(stateDir);
      if (existing) {
        console.log(`already enrolled as ${existing.agentId} (fleet ${existing.fleetId}); remove ${stateDir} to enroll again`);
        return 0;
      }
      const params = await enrollParams();
      if (!params) throw new UsageError('enroll needs --bootstrap FILE or --control-plane URL --token T');
      const identity = await enroll(stateDir, params, { log });
      console.log(`enrolled as ${identity.agentId} (fleet ${identity.fleetId}), broker ${identity.brokerUrl}`);
      return 0;
    }
    case 'run': {
      const params = await enrollParams();
      const agent = await startAgent({ stateDir, logger: log, onApplied: fullGarbageCollector(), ...(params ? { enroll: params } : {}) });
      await new Promise<void>((resolve) => {
        const onSignal = (signal: NodeJS.Signals) => {
          log.info({ signal }, 'stopping');
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          agent.stop().then(resolve, (err: unknown) => {
            log.error({ err: errorMessage(err) }, 'error while stopping');
            resolve();
          });
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
      });
      return 0;
    }
    default:
      throw new UsageError(`unknown command '${command}'`);
  }
}

class UsageError extends Error {}

function parseArguments(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
    allowPositionals: true,
      options: {
        'state-dir': { type: 'string', default: DEFAULT_STATE_DIR },
        bootstrap: { type: 'string' },
        'control-plane': { type: 'string' },
        token: { type: 'string' },
        'hardware-id': { type: 'string' },
        name: { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    // node:util reports unknown options and missing values as TypeErrors; they are usage errors.
    throw new UsageError(errorMessage(err));
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`edgefleet-agent: ${errorMessage(err)}`);
    if (err instanceof UsageError) console.error("run 'edgefleet-agent --help' for usage");
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
