/**
 * Control-loop benchmark → bench/results/control-loop.json
 *
 *  1. PUT-to-applied latency: one real agent process; 100 config changes one after another, each
 *     timed from the PUT request to the agent's `state` reporting the revision applied.
 *  2. Fleet roll-out: N real agents (default 1,000; `BENCH_AGENTS`) connected at once in one
 *     process. (a) One change for the whole fleet (`PUT /fleets/{id}/config`, a revision per
 *     agent): time from the PUT to the last agent's acknowledgement. (b) One PUT per agent
 *     (`PUT /agents/{id}/config`, 16 in flight): time from the first PUT to the last ack.
 *  3. Idle agent RSS: the single agent process, enrolled and polling its simulator, before the
 *     changes (median of 5 samples); and its RSS after the changes.
 *
 * Goals (from the control-loop issue): p99 < 500 ms; 1,000 agents applied within 10 s.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigRevisionViewSchema, EnrollmentTokenCreatedSchema } from '@edgefleet/protocol';
import { z } from 'zod';
import { startStack } from '../support/stack.js';
import { spawnAgent } from '../support/agent-process.js';
import { startBenchDatabase } from './bench-database.js';
import { PlaneClient } from '../support/plane-client.js';
import { mapLimit, percentile, round, rssBytes, writeResults } from './stats.js';
import { AgentListSchema, FleetListSchema, simulatorConfig } from '../support/fixtures.js';

const CHANGES = Number(process.env.BENCH_CHANGES ?? 100);
const AGENTS = Number(process.env.BENCH_AGENTS ?? 1000);
const PUT_CONCURRENCY = 16;

const here = path.dirname(fileURLToPath(import.meta.url));
const RolloutSchema = z.object({ agents: z.number(), revisions: z.array(z.object({ agentId: z.string(), revision: z.number() })) });


function log(line: string): void {
  console.log(`[bench:control-loop] ${line}`);
}

async function main(): Promise<void> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'edgefleet-bench-cl-'));
  const db = await startBenchDatabase();
  const stack = await startStack({ databaseUrl: db.url });
  const observer = await PlaneClient.connect(stack.broker.url, stack.ca);
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    const fleets = await stack.api('GET', '/api/v1/fleets', undefined, FleetListSchema);
    const fleet = fleets.find((f) => f.name === 'default') ?? fleets[0];
    if (!fleet) throw new Error('no fleet');
    await stack.api('PUT', `/api/v1/fleets/${fleet.id}/config`, { document: simulatorConfig({ fastMs: 1000, slowGroup: false, sink: false }), comment: 'benchmark template' });

    // 1. One agent process: latency of 100 changes, and its idle RSS.
    const single = await stack.api('POST', `/api/v1/fleets/${fleet.id}/enrollment-tokens`, { description: 'bench single', maxUses: 1 }, EnrollmentTokenCreatedSchema);
    const agent = await spawnAgent({ stateDir: path.join(tmp, 'single'), controlPlaneUrl: stack.apiUrl, token: single.token, name: 'bench-single', hardwareId: 'bench-single' });
    cleanups.push(() => agent.stop());
    let agentId: string | undefined;
    for (let i = 0; i < 100 && !agentId; i++) {
      const list = await stack.api('GET', '/api/v1/agents?limit=10', undefined, AgentListSchema);
      agentId = list.items.find((a) => a.name === 'bench-single')?.id;
      if (!agentId) await sleep(200);
    }
    if (!agentId) throw new Error(`the single agent did not enroll:\n${agent.output()}`);
    await observer.waitApplied(agentId, 1, 30_000);
    // Idle: enrolled, connected, polling its simulator, nothing changing.
    await sleep(10_000);
    const rssSamples: number[] = [];
    for (let i = 0; i < 5; i++) {
      rssSamples.push(await rssBytes(agent.pid as number));
      await sleep(1000);
    }
    const idleRss = percentile(rssSamples, 50);
    log(`idle agent RSS ${round(idleRss / 2 ** 20)} MiB`);

    const latencies: number[] = [];
    for (let i = 0; i < CHANGES; i++) {
      const t0 = performance.now();
      const rev = await stack.api('PUT', `/api/v1/agents/${agentId}/config`, { document: simulatorConfig({ fastMs: 1000 + ((i + 1) % 50), slowGroup: false, sink: false }) }, ConfigRevisionViewSchema);
      const t1 = await observer.waitApplied(agentId, rev.revision, 10_000);
      latencies.push(t1 - t0);
    }
    log(`latency over ${CHANGES} changes: p50 ${round(percentile(latencies, 50))} ms, p99 ${round(percentile(latencies, 99))} ms`);

    const afterChangesRss = await rssBytes(agent.pid as number);
    log(`agent RSS after ${CHANGES} changes ${round(afterChangesRss / 2 ** 20)} MiB`);
    await agent.stop();

    // 2. N agents in one process, one change each.
    const many = await stack.api('POST', `/api/v1/fleets/${fleet.id}/enrollment-tokens`, { description: 'bench fleet', maxUses: AGENTS }, EnrollmentTokenCreatedSchema);
    const simStart = performance.now();
    const sim = spawn(process.execPath, [path.join(here, 'fleet-sim.js'), '--control-plane', stack.apiUrl, '--token', many.token, '--count', String(AGENTS), '--state-root', path.join(tmp, 'fleet')], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    cleanups.push(async () => {
      if (sim.exitCode === null) {
        sim.kill('SIGTERM');
        await new Promise((r) => sim.once('exit', r));
      }
    });
    await new Promise<void>((resolve, reject) => {
      sim.once('exit', (code) => reject(new Error(`fleet-sim exited with ${code}`)));
      sim.stdout.setEncoding('utf8');
      sim.stdout.on('data', (chunk: string) => {
        for (const line of chunk.split('\n').filter(Boolean)) {
          log(`fleet-sim: ${line}`);
          if (line.startsWith('ready')) resolve();
        }
      });
    });
    const ids: string[] = [];
    for (let offset = 0; ids.length < AGENTS + 1; offset += 500) {
      const page = await stack.api('GET', `/api/v1/agents?limit=500&offset=${offset}`, undefined, AgentListSchema);
      ids.push(...page.items.filter((a) => a.name.startsWith('bench-') && a.name !== 'bench-single').map((a) => a.id));
      if (page.items.length < 500) break;
    }
    await Promise.all(ids.map((id) => observer.waitApplied(id, 1, 120_000)));
    const enrollSeconds = (performance.now() - simStart) / 1000;
    log(`${ids.length} agents enrolled, connected and applied revision 1 in ${round(enrollSeconds)} s`);
    await sleep(2000);
    const simRss = await rssBytes(sim.pid as number);

    // (a) one fleet-wide change.
    const tf0 = performance.now();
    const rollout = await stack.api('PUT', `/api/v1/fleets/${fleet.id}/config`, { document: simulatorConfig({ fastMs: 1500, slowGroup: false, sink: false }), comment: 'benchmark roll-out' }, RolloutSchema);
    const tfPut = performance.now();
    const wanted = new Map(rollout.revisions.map((r) => [r.agentId, r.revision]));
    const fleetAcks = await Promise.all(ids.map((id) => observer.waitApplied(id, wanted.get(id) ?? Number.MAX_SAFE_INTEGER, 120_000)));
    const fleetWideSeconds = (Math.max(...fleetAcks) - tf0) / 1000;
    log(`${ids.length} agents: fleet-wide PUT → last ack ${round(fleetWideSeconds, 2)} s (the PUT answered after ${round((tfPut - tf0) / 1000, 2)} s)`);
    await sleep(2000);

    // (b) one PUT per agent.
    const t0 = performance.now();
    let putsDone = 0;
    const acks = await mapLimit(ids, PUT_CONCURRENCY, async (id) => {
      const rev = await stack.api('PUT', `/api/v1/agents/${id}/config`, { document: simulatorConfig({ fastMs: 2000, slowGroup: false, sink: false }) }, ConfigRevisionViewSchema);
      putsDone = performance.now();
      return observer.waitApplied(id, rev.revision, 120_000);
    });
    const allAcked = await Promise.all(acks);
    const lastAck = Math.max(...allAcked);
    const fleetSeconds = (lastAck - t0) / 1000;
    log(`${ids.length} agents: first of ${ids.length} PUTs → last ack ${round(fleetSeconds, 2)} s (PUTs done after ${round((putsDone - t0) / 1000, 2)} s)`);

    const results = {
      benchmark: 'control-loop',
      at: new Date().toISOString(),
      machine: { cpus: os.cpus().length, node: process.version },
      putToApplied: {
        changes: CHANGES,
        p50Ms: round(percentile(latencies, 50)),
        p99Ms: round(percentile(latencies, 99)),
        maxMs: round(Math.max(...latencies)),
        goalP99Ms: 500,
        met: percentile(latencies, 99) < 500,
      },
      fleetRollout: {
        agents: ids.length,
        enrollAndConnectSeconds: round(enrollSeconds, 1),
        agentsProcessRssMiB: round(simRss / 2 ** 20),
        goalSeconds: 10,
        fleetWidePut: {
          putToLastAckSeconds: round(fleetWideSeconds, 2),
          putAnsweredSeconds: round((tfPut - tf0) / 1000, 2),
          met: ids.length >= 1000 && fleetWideSeconds <= 10,
        },
        putPerAgent: {
          putConcurrency: PUT_CONCURRENCY,
          firstPutToLastAckSeconds: round(fleetSeconds, 2),
          putsSeconds: round((putsDone - t0) / 1000, 2),
          putsPerSecond: round(ids.length / ((putsDone - t0) / 1000)),
          met: ids.length >= 1000 && fleetSeconds <= 10,
        },
      },
      idleAgent: { rssMiB: round(idleRss / 2 ** 20), samples: rssSamples.length, rssAfterChangesMiB: round(afterChangesRss / 2 ** 20) },
    };
    const file = await writeResults('control-loop', results);
    log(`results written to ${path.relative(process.cwd(), file)}`);
    console.log(JSON.stringify(results, null, 2));
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    await observer.close().catch(() => undefined);
    await stack.close();
    await db.close();
    await rm(tmp, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
