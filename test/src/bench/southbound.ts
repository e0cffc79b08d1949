/**
 * Southbound benchmark → bench/results/southbound.json (`npm run bench:southbound`)
 *
 *  1. The limit: a raw modbus-serial loop of 125-register FC 3 reads against the bench's Modbus
 *     TCP server (a small C server, so the server is not the limit), in registers/s.
 *  2. Flat out: the agent's Modbus driver reading one device's group of 10,000 tags back to back
 *     (`readGroup` in a tight loop), as a ratio of (1), goal ≥ 0.9; and for reference the
 *     DeviceRunner polling a 60,000-tag group at the minimum interval (10 ms).
 *     (1) and (2) run interleaved, each in its own process, against the same server.
 *  3. 100 Modbus devices × 1,000 tags at 1 s (100k tags/s): the real agent process publishing to
 *     Mosquitto; its CPU (% of one core), RSS and the tags/s a consumer receives.
 *     Goals ≤ 25 % of one core and ≤ 150 MiB. For reference, the same load on the simulator
 *     driver: what the rest of the agent (runner, scaling, sink, MQTT over TLS) costs.
 *  4. OPC UA: 10,000 monitored items written every 100 ms by a node-opcua server in its own
 *     process; the real agent's CPU, RSS and notifications lost (vs what the server sent).
 *     Goal: none lost.
 *
 * Knobs (environment): BENCH_SOUTHBOUND_SECTIONS=limit,fleet,opcua (a subset prints but does not
 * write the results file), BENCH_LIMIT_ROUNDS, BENCH_LIMIT_SECONDS, BENCH_FLEET_SECONDS,
 * BENCH_FLEET_WARMUP, BENCH_OPCUA_SECONDS, BENCH_OPCUA_WARMUP, BENCH_CPU_PROF=<dir> (profiles
 * of the agent and driver processes), BENCH_PIN=0 (no taskset), BENCH_MODBUS_SERVER=node.
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { round, writeResults } from './stats.js';
import { fmt, machine, runBenchmark, source } from './run-info.js';
import { registerTempDir, removeTempDirs, stopAllChildren } from './southbound/children.js';
import { runLimit, type LimitResult } from './southbound/limit.js';
import { runFleet, type FleetResult } from './southbound/fleet.js';
import { runOpcUa, type OpcUaResult } from './southbound/opcua.js';
import { printTable, type Row } from './southbound/report.js';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const SECTIONS = (process.env.BENCH_SOUTHBOUND_SECTIONS ?? 'limit,fleet,opcua').split(',').map((s) => s.trim());
const ALL = ['limit', 'fleet', 'opcua'].every((s) => SECTIONS.includes(s));
const CPU_PROF = process.env.BENCH_CPU_PROF ? path.resolve(process.env.BENCH_CPU_PROF) : undefined;

const GOALS = {
  flatOutRatio: 0.9,
  fleetCpuPercent: 25,
  fleetRssMiB: 150,
  fleetDeliveredRatio: 0.99,
  opcuaLost: 0,
};

const ANCHORS = {
  neuronexModbus: 'NeuronEX: 100k Modbus tags at 1 s with 497 MB and 30% CPU of 4 cores (= 120% of one core)',
  neuronexOpcUa: 'NeuronEX: 100k OPC UA tags at 1 s with 594 MB and 60% CPU of 4 cores (= 240% of one core)',
  nodeRed: 'Node-RED 4.1 + node-red-contrib-modbus, 50k tags/s as one message per block: 20% of a core, 149 MB (dependencies.md)',
  bareLoop: 'a bare 60-line modbus-serial + mqtt.js loop, 50k tags/s as blocks: 4.9% of a core, 94 MB (dependencies.md)',
};

function log(section: string, line: string): void {
  console.log(`[bench:southbound] ${section}: ${line}`);
}

type Verdict = 'met' | 'not met' | 'unavailable';
const verdict = (ok: boolean | undefined): Verdict => (ok === undefined ? 'unavailable' : ok ? 'met' : 'not met');

async function main(): Promise<void> {
  const started = new Date();
  const t0 = performance.now();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'edgefleet-bench-sb-'));
  registerTempDir(dir);
  const loadBefore = os.loadavg();
  let limit: LimitResult | { status: 'skipped' } | { status: 'failed'; reason: string } = { status: 'skipped' };
  let fleet: FleetResult | { status: 'skipped' } | { status: 'failed'; reason: string } = { status: 'skipped' };
  let fleetSimulator: FleetResult | { status: 'skipped' } | { status: 'failed'; reason: string } = { status: 'skipped' };
  let opcua: OpcUaResult | { status: 'skipped' } | { status: 'failed'; reason: string } = { status: 'skipped' };
  const failure = (section: string, err: unknown) => {
    const reason = err instanceof Error ? err.message : String(err);
    log(section, `FAILED: ${reason}`);
    return { status: 'failed' as const, reason };
  };
  try {
    if (SECTIONS.includes('limit')) {
      try {
        limit = await runLimit({
          rounds: env('BENCH_LIMIT_ROUNDS', 5),
          seconds: env('BENCH_LIMIT_SECONDS', 2),
          tags: env('BENCH_LIMIT_TAGS', 10_000),
          runnerTags: env('BENCH_RUNNER_TAGS', 60_000),
          ...(CPU_PROF ? { cpuProfDir: CPU_PROF } : {}),
          log: (l) => log('limit', l),
        });
      } catch (err) {
        limit = failure('limit', err);
      }
      await stopAllChildren();
    }
    if (SECTIONS.includes('fleet')) {
      const fleetOptions = {
        devices: env('BENCH_FLEET_DEVICES', 100),
        tagsPerDevice: env('BENCH_FLEET_TAGS', 1000),
        intervalMs: 1000,
        listeners: 4,
        dir,
        ...(CPU_PROF ? { cpuProfDir: CPU_PROF } : {}),
        log: (l: string) => log('fleet', l),
      };
      try {
        fleet = await runFleet({ ...fleetOptions, driver: 'modbus', warmupSeconds: env('BENCH_FLEET_WARMUP', 10), seconds: env('BENCH_FLEET_SECONDS', 30) });
      } catch (err) {
        fleet = failure('fleet', err);
      }
      await stopAllChildren();
      // The same load on the simulator driver: what the agent costs without Modbus I/O.
      try {
        fleetSimulator = await runFleet({ ...fleetOptions, driver: 'simulator', warmupSeconds: 5, seconds: env('BENCH_FLEET_SIM_SECONDS', 15) });
      } catch (err) {
        fleetSimulator = failure('fleet', err);
      }
      await stopAllChildren();
    }
    if (SECTIONS.includes('opcua')) {
      try {
        opcua = await runOpcUa({
          variables: env('BENCH_OPCUA_VARIABLES', 10_000),
          periodMs: 100,
          warmupSeconds: env('BENCH_OPCUA_WARMUP', 5),
          seconds: env('BENCH_OPCUA_SECONDS', 20),
          dir,
          ...(CPU_PROF ? { cpuProfDir: CPU_PROF } : {}),
          log: (l) => log('opcua', l),
        });
      } catch (err) {
        opcua = failure('opcua', err);
      }
      await stopAllChildren();
    }
  } finally {
    await stopAllChildren();
    removeTempDirs();
  }

  // Goals.
  const lim = 'raw' in limit ? limit : undefined;
  const drv = lim && 'ratioToRaw' in lim.driver ? lim.driver : undefined;
  const fl = fleet.status === 'ok' ? fleet : undefined;
  const op = opcua.status === 'ok' ? opcua : undefined;
  const fleetComplete = fl ? fl.deliveredRatio >= GOALS.fleetDeliveredRatio : undefined;
  const goals = {
    flatOutRatio: { goal: `driver readGroup loop ≥ ${GOALS.flatOutRatio} × raw`, value: drv?.ratioToRaw ?? null, result: verdict(drv ? drv.ratioToRaw >= GOALS.flatOutRatio : undefined) },
    fleetCpu: {
      goal: `≤ ${GOALS.fleetCpuPercent}% of one core, with ≥ ${GOALS.fleetDeliveredRatio * 100}% of the tags delivered`,
      value: fl?.agent.cpuPercent ?? null,
      result: verdict(fl ? fl.agent.cpuPercent <= GOALS.fleetCpuPercent && fleetComplete === true : undefined),
    },
    fleetRss: {
      goal: `≤ ${GOALS.fleetRssMiB} MiB RSS (max over the window), with ≥ ${GOALS.fleetDeliveredRatio * 100}% of the tags delivered`,
      value: fl?.agent.rssMaxMiB ?? null,
      result: verdict(fl ? fl.agent.rssMaxMiB <= GOALS.fleetRssMiB && fleetComplete === true : undefined),
    },
    opcuaLost: { goal: 'no notification lost (sent by the server − received)', value: op?.totals.lost ?? null, result: verdict(op ? op.totals.lost <= GOALS.opcuaLost : undefined) },
  };

  const results = {
    benchmark: 'southbound',
    at: started.toISOString(),
    durationSeconds: round((performance.now() - t0) / 1000, 1),
    source: source(),
    machine: machine(loadBefore),
    goals,
    limit,
    fleet,
    fleetSimulatorReference: fleetSimulator,
    opcua,
    anchors: ANCHORS,
  };

  const rows: Row[] = [];
  if (lim) {
    rows.push(['1 limit', 'raw modbus-serial, FC 3 × 125 registers, 1 in flight', `${fmt(lim.raw.registersPerSecond)} registers/s (${fmt(lim.raw.requestsPerSecond)} req/s; CPU per request: client ${lim.raw.clientCpuMicrosPerRequest} µs, server ${lim.raw.serverCpuMicrosPerRequest} µs; client ${lim.raw.cpuNsPerRegister} ns/register)`, '', '']);
    if (drv) {
      rows.push(['2 flat out', 'driver.readGroup loop, 10,000 tags', `${fmt(drv.registersPerSecond)} registers/s = ${drv.ratioToRaw} × raw (rounds ${drv.ratioEach.join(', ')}); ${drv.cpuNsPerRegister} ns CPU/register = ${drv.cpuEfficiencyToRaw} × raw's efficiency`, `≥ ${GOALS.flatOutRatio}`, goals.flatOutRatio.result]);
    } else rows.push(['2 flat out', 'driver.readGroup loop', `unavailable: ${'unavailable' in lim.driver ? lim.driver.unavailable : ''}`, `≥ ${GOALS.flatOutRatio}`, 'unavailable']);
    if ('ratioToRaw' in lim.runner) {
      const r = lim.runner;
      rows.push(['2 flat out', `DeviceRunner @10 ms, ${fmt(r.tags)} tags (reference)`, `${fmt(r.registersPerSecond)} registers/s = ${r.ratioToRaw} × raw (${r.cyclesPerSecond} cycles/s)`, '', '']);
    }
  } else rows.push(['1–2 Modbus limit', '', 'reason' in limit ? `FAILED: ${limit.reason}` : 'skipped', '', '']);
  if (fl) {
    rows.push(['3 100×1,000 @1 s', 'tags/s received by the MQTT consumer', `${fmt(fl.tagsPerSecond)} (${(fl.deliveredRatio * 100).toFixed(2)}% of ${fmt(fl.nominalTagsPerSecond)})`, `≥ ${GOALS.fleetDeliveredRatio * 100}%`, fleetComplete ? 'met' : 'not met']);
    rows.push(['3 100×1,000 @1 s', 'agent CPU, % of one core', `${fl.agent.cpuPercent}%`, `≤ ${GOALS.fleetCpuPercent}%`, goals.fleetCpu.result]);
    rows.push(['3 100×1,000 @1 s', 'agent RSS (median / max)', `${fl.agent.rssMedianMiB} / ${fl.agent.rssMaxMiB} MiB`, `≤ ${GOALS.fleetRssMiB} MiB`, goals.fleetRss.result]);
    if (fl.server) rows.push(['3 100×1,000 @1 s', 'Modbus server (C) load', `${fmt(fl.server.requestsPerSecond)} req/s (expected ${fmt(fl.server.expectedRequestsPerSecond)}) at ${fl.server.cpuPercent}% CPU`, '', '']);
  } else rows.push(['3 100×1,000 @1 s', '', 'reason' in fleet ? `${fleet.status}: ${fleet.reason}` : 'skipped', `≤ ${GOALS.fleetCpuPercent}%, ≤ ${GOALS.fleetRssMiB} MiB`, fleet.status === 'skipped' ? 'skipped' : 'unavailable']);
  if (fleetSimulator.status === 'ok') {
    const sim = fleetSimulator;
    rows.push(['3 reference', 'same load on the simulator driver (no Modbus I/O)', `${fmt(sim.tagsPerSecond)} tags/s; CPU ${sim.agent.cpuPercent}%; RSS ${sim.agent.rssMedianMiB} / ${sim.agent.rssMaxMiB} MiB`, '', '']);
  }
  if (op) {
    rows.push(['4 OPC UA 10k @100 ms', 'server changed / sent / agent delivered per s', `${fmt(op.changesPerSecond)} / ${fmt(op.sentPerSecond)} / ${fmt(op.receivedPerSecond)} (nominal ${fmt(op.nominalChangesPerSecond)})`, '', '']);
    rows.push(['4 OPC UA 10k @100 ms', 'notifications lost (sent − received)', `${fmt(op.totals.lost)} of ${fmt(op.totals.sent)}`, '0', goals.opcuaLost.result]);
    rows.push(['4 OPC UA 10k @100 ms', 'agent CPU / RSS (median / max)', `${op.agent.cpuPercent}% of a core (${op.agent.cpuMicrosPerNotification} µs/notification) / ${op.agent.rssMedianMiB} / ${op.agent.rssMaxMiB} MiB`, '', '']);
  } else rows.push(['4 OPC UA 10k @100 ms', '', 'reason' in opcua ? `${opcua.status}: ${opcua.reason}` : 'skipped', '0 lost', opcua.status === 'skipped' ? 'skipped' : 'unavailable']);

  console.log('');
  printTable(['Section', 'Figure', 'Value', 'Goal', 'Result'], rows);
  console.log(`\nMachine: ${results.machine.cpus} × ${results.machine.cpuModel}, Node ${results.machine.node}, load ${results.machine.loadAverageBefore.join('/')} before; ${results.durationSeconds} s in all.`);
  if (lim) console.log(`Modbus server: ${lim.server.note}; ${lim.placement}.`);
  console.log(`Anchors: ${ANCHORS.neuronexModbus}; ${ANCHORS.neuronexOpcUa}.`);
  if (ALL) {
    const file = await writeResults('southbound', results);
    console.log(`Results written to ${path.relative(process.cwd(), file)}`);
  } else {
    console.log(`Sections ${SECTIONS.join(',')} only: results not written (run all sections to update bench/results/southbound.json).`);
    console.log(JSON.stringify(results, null, 2));
  }
}

runBenchmark('bench:southbound', main);
