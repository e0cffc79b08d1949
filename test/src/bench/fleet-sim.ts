/**
 * Runs many real agents (the agent's own `startAgent`) in one process, for fleet-scale
 * benchmarks. Usage:
 *   node test/dist/bench/fleet-sim.js --control-plane URL --token T --count N --state-root DIR [--concurrency 25]
 * Prints `enrolled i/N` progress lines and `ready N` once every agent runs; stops all agents on
 * SIGTERM/SIGINT and exits 0.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startAgent, type RunningAgent } from '@edgefleet/agent';

const { values } = parseArgs({
  options: {
    'control-plane': { type: 'string' },
    token: { type: 'string' },
    count: { type: 'string', default: '1000' },
    'state-root': { type: 'string' },
    concurrency: { type: 'string', default: '25' },
  },
});
const controlPlaneUrl = values['control-plane'];
const token = values.token;
const stateRoot = values['state-root'];
if (!controlPlaneUrl || !token || !stateRoot) {
  console.error('usage: fleet-sim --control-plane URL --token T --count N --state-root DIR');
  process.exit(2);
}
const count = Number(values.count);
const concurrency = Number(values.concurrency);

const agents: RunningAgent[] = [];
let stopping = false;

async function stopAll(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await Promise.allSettled(agents.map((a) => a.stop()));
  process.exit(0);
}
process.on('SIGTERM', () => void stopAll());
process.on('SIGINT', () => void stopAll());

let next = 0;
let started = 0;
async function worker(): Promise<void> {
  while (!stopping) {
    const i = next++;
    if (i >= count) return;
    const agent = await startAgent({
      stateDir: path.join(stateRoot as string, `agent-${i}`),
      enroll: { controlPlaneUrl: controlPlaneUrl as string, token: token as string, hardwareId: `bench-hw-${i}`, name: `bench-${i}` },
      writeStatusFile: false,
      logLevel: 'error',
    });
    agents.push(agent);
    started++;
    if (started % 100 === 0) console.log(`enrolled ${started}/${count}`);
  }
}

await Promise.all(Array.from({ length: concurrency }, () => worker()));
console.log(`ready ${agents.length}`);
