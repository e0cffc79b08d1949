/**
 * The OPC UA peer of the southbound bench, in a process of its own so its CPU is not the
 * agent's: a node-opcua server with `--variables` Double variables `ns=1;s=v<i>`.
 *
 *   node opcua-server.js [--variables 10000] [--period-ms 100]
 *
 * Prints `{"endpointUrl": "..."}` once started. Then reads commands on stdin, one a line:
 *   start  every `--period-ms`, write a new value (a counter) to every variable
 *   halt   stop writing
 *   stats  print {"stats": {changes, ticks, ticksLate, sent, monitoredItems, subscriptions,
 *          publishes, queueOverflows}} where `changes` counts values written and `sent` the data
 *          change notifications the server put into publish responses (its subscription
 *          diagnostics), so loss is measured against what was really sent.
 * Exits when stdin closes or on SIGTERM.
 *
 * Limits raised so the server does not cap what the client asked for: 1,000 notifications per
 * publish is node-opcua's default ceiling (`Subscription.maxNotificationPerPublishHighLimit`);
 * it becomes 100,000, and the monitored item limits cover the variables.
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { OPCUAServer, Subscription, type ServerSession } from 'node-opcua-server';
import { DataType, Variant } from 'node-opcua-variant';
import { MessageSecurityMode, SecurityPolicy } from 'node-opcua-secure-channel';
import { AccessRestrictionsFlag, allPermissions } from 'node-opcua-data-model';
import { WellKnownRoles } from 'node-opcua-constants';
import { freePort } from '../../support/ports.js';

const { values: args } = parseArgs({
  options: {
    variables: { type: 'string', default: '10000' },
    'period-ms': { type: 'string', default: '100' },
  },
});
const count = Number(args.variables);
const periodMs = Number(args['period-ms']);

interface Writable {
  setValueFromSource(v: Variant): void;
}

async function main(): Promise<void> {
  // node-opcua keeps its PKI under $XDG_CONFIG_HOME: never the user's ~/.config.
  if (!process.env.XDG_CONFIG_HOME) process.env.XDG_CONFIG_HOME = await mkdtemp(path.join(os.tmpdir(), 'edgefleet-bench-opcua-'));
  (Subscription as unknown as { maxNotificationPerPublishHighLimit: number }).maxNotificationPerPublishHighLimit = 100_000;

  let server: OPCUAServer | undefined;
  for (let attempt = 0; attempt < 3 && !server; attempt++) {
    const port = await freePort('127.0.0.1');
    const candidate = new OPCUAServer({
      port,
      hostname: '127.0.0.1',
      alternateHostname: ['127.0.0.1'],
      securityModes: [MessageSecurityMode.None],
      securityPolicies: [SecurityPolicy.None],
      allowAnonymous: true,
      maxConnectionsPerEndpoint: 20,
      serverCapabilities: {
        maxMonitoredItems: 1_000_000,
        maxMonitoredItemsPerSubscription: 1_000_000,
        maxSessions: 20,
        operationLimits: { maxMonitoredItemsPerCall: 100_000, maxNodesPerRead: 100_000, maxNodesPerBrowse: 100_000 },
      },
    });
    try {
      await candidate.initialize();
      server = candidate;
    } catch (err) {
      if (attempt === 2) throw err;
    }
  }
  if (!server) throw new Error('no OPC UA server');

  const addressSpace = server.engine.addressSpace;
  if (!addressSpace) throw new Error('no address space');
  const namespace = addressSpace.getOwnNamespace();
  const folder = namespace.addFolder(addressSpace.rootFolder.objects, { browseName: 'Bench' });
  // Permissions on the variables themselves: without them every sample looks the namespace's
  // defaults up through the address space, which doubled the server's cost per sample.
  const rolePermissions = [WellKnownRoles.Anonymous, WellKnownRoles.AuthenticatedUser].map((role) => ({ roleId: `i=${role}`, permissions: allPermissions }));
  const variables: Writable[] = [];
  for (let i = 0; i < count; i++) {
    variables.push(
      namespace.addVariable({
        componentOf: folder,
        browseName: `v${i}`,
        nodeId: `s=v${i}`,
        dataType: 'Double',
        minimumSamplingInterval: 0,
        rolePermissions,
        accessRestrictions: AccessRestrictionsFlag.None,
        value: new Variant({ dataType: DataType.Double, value: 0 }),
      }),
    );
  }
  await server.start();
  const endpointUrl = server.getEndpointUrl();

  let changes = 0;
  let ticks = 0;
  let ticksLate = 0;
  let value = 0;
  let timer: NodeJS.Timeout | undefined;
  let next = 0;
  const tick = () => {
    value++;
    for (const v of variables) v.setValueFromSource(new Variant({ dataType: DataType.Double, value }));
    changes += variables.length;
    ticks++;
    // A fixed grid; a tick that overran skips the grid points it missed (counted) instead of bursting.
    next += periodMs;
    const now = performance.now();
    if (next <= now) {
      const missed = Math.floor((now - next) / periodMs) + 1;
      ticksLate += missed;
      next += missed * periodMs;
    }
    timer = setTimeout(tick, next - now);
  };

  const subscriptions = (): Subscription[] => {
    const sessions = Object.values((server!.engine as unknown as { _sessions: Record<string, ServerSession> })._sessions ?? {});
    return sessions.flatMap((s) => s.publishEngine?.subscriptions ?? []);
  };
  const stats = () => {
    const subs = subscriptions();
    let sent = 0;
    let publishes = 0;
    let monitoredItems = 0;
    for (const s of subs) {
      sent += s.subscriptionDiagnostics.dataChangeNotificationsCount;
      publishes += s.subscriptionDiagnostics.publishRequestCount;
      monitoredItems += s.monitoredItemCount;
    }
    return { changes, ticks, ticksLate, sent, publishes, monitoredItems, subscriptions: subs.length };
  };

  const stop = async () => {
    if (timer) clearTimeout(timer);
    await server!.shutdown(0).catch(() => undefined);
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  process.stdin.setEncoding('utf8');
  process.stdin.on('end', () => void stop());
  let buffered = '';
  process.stdin.on('data', (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const cmd = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      if (cmd === 'start' && !timer) {
        next = performance.now();
        tick();
      } else if (cmd === 'halt') {
        if (timer) clearTimeout(timer);
        timer = undefined;
      } else if (cmd === 'stats') {
        process.stdout.write(`${JSON.stringify({ stats: stats() })}\n`);
      }
    }
  });
  process.stdout.write(`${JSON.stringify({ endpointUrl, pid: process.pid })}\n`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
