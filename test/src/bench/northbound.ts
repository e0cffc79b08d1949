/**
 * Northbound benchmark → bench/results/northbound.json (`npm run bench:northbound`)
 *
 *  1. Publish rate to a local Mosquitto: the agent's MQTT sink (its own connection, and the fleet
 *     connection) fed group samples flat out, as a ratio of a raw MQTT.js loop publishing the same
 *     Neuron `values` payloads (100 tags) at QoS 1 with the same window of 100 in flight.
 *     Goal ≥ 0.8. Interleaved rounds, each run in its own process.
 *  2. The durable buffer's append rate, `batch` (the default) and `interval` durability, for
 *     payloads of 10, 100 and 1,000 tags: messages/s and MB/s.
 *  3. Drain: 100,000 messages kept in the MQTT sink's buffer while its broker is down, sent once
 *     it is back, until the buffer is empty and a consumer has all of them, in order.
 *     Goal ≥ 20,000 messages/s (`batch`); `interval` for reference.
 *  4. The sink process's RSS through that drain: median and max.
 *
 * Knobs (environment): BENCH_NORTHBOUND_SECTIONS=publish,append,drain (a subset prints but does
 * not write the results file), BENCH_PUBLISH_ROUNDS, BENCH_PUBLISH_SECONDS, BENCH_TAGS,
 * BENCH_APPEND_ROUNDS, BENCH_APPEND_SECONDS, BENCH_APPEND_TAGS, BENCH_DRAIN_MESSAGES,
 * BENCH_DRAIN_CASES (durability:consumer, e.g. batch:offline), BENCH_CPU_PROF=<dir> (profiles of the sink processes).
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { round, writeResults } from './stats.js';
import { fmt, machine, runBenchmark, source } from './run-info.js';
import { registerTempDir, removeTempDirs, stopAllChildren } from './southbound/children.js';
import { printTable, type Row } from './southbound/report.js';
import { startLocalBroker, type LocalBroker } from './northbound/broker.js';
import { runPublishRate, type PublishRateResult } from './northbound/publish-rate.js';
import { runAppend, type AppendCase } from './northbound/append.js';
import { runDrain, type ConsumerMode, type DrainResult } from './northbound/drain.js';
import { SINK_VARIANTS } from './northbound/sinks.js';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const list = (name: string, fallback: string) => (process.env[name] ?? fallback).split(',').map((s) => s.trim()).filter(Boolean);
const SECTIONS = list('BENCH_NORTHBOUND_SECTIONS', 'publish,append,drain');
const ALL = ['publish', 'append', 'drain'].every((s) => SECTIONS.includes(s));
const CPU_PROF = process.env.BENCH_CPU_PROF ? path.resolve(process.env.BENCH_CPU_PROF) : undefined;
const TAGS = env('BENCH_TAGS', 100);
/**
 * Drain cases, `durability:consumer`: with the consumer away during the drain (the sink to the
 * broker alone: the goal's figure), and with it taking the messages as they come (three
 * processes on two cores). See `ConsumerMode` in northbound/drain.ts.
 */
const DRAIN_CASES = list('BENCH_DRAIN_CASES', 'batch:offline,batch:online,interval:online').map((c) => {
  const [durability = 'batch', consumer = 'online'] = c.split(':');
  return { key: c, durability: durability as 'batch' | 'interval', consumer: consumer as ConsumerMode };
});
const GOAL_DRAIN = 'batch:offline';

const GOALS = {
  publishRatio: 0.8,
  drainMessagesPerSecond: 20_000,
};

/** Sink kinds with no figure here, and why (docs/benchmarks.md). */
const NOT_MEASURED = {
  'sparkplug-b': 'not in this bench yet: add it as a variant in test/src/bench/northbound/sinks.ts',
  'aws-iot': 'needs AWS IoT Core: the AWS SDK speaks to the service (its own MQTT client, TLS with the thing certificate, AWS topics), not to a plain local broker',
  'azure-iot': 'needs Azure IoT Hub: the Azure SDK speaks to the service (SAS or X.509 authentication, IoT Hub topics and acknowledgements), not to a plain local broker',
};

function log(section: string, line: string): void {
  console.log(`[bench:northbound] ${section}: ${line}`);
}

type Verdict = 'met' | 'not met' | 'unavailable';
const verdict = (ok: boolean | undefined): Verdict => (ok === undefined ? 'unavailable' : ok ? 'met' : 'not met');
type Outcome<T> = T | { status: 'skipped' } | { status: 'failed'; reason: string };
const ok = <T extends object>(x: Outcome<T>): T | undefined => ('status' in x && (x.status === 'skipped' || x.status === 'failed') ? undefined : (x as T));

function filesystemOf(dir: string): string {
  try {
    return execFileSync('df', ['--output=fstype', dir], { encoding: 'utf8' }).trim().split('\n').at(-1)?.trim() ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  const started = new Date();
  const t0 = performance.now();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'edgefleet-bench-nb-'));
  registerTempDir(dir);
  const loadBefore = os.loadavg();
  let publish: Outcome<PublishRateResult> = { status: 'skipped' };
  let append: Outcome<{ cases: AppendCase[] }> = { status: 'skipped' };
  const drain: Record<string, Outcome<DrainResult>> = {};
  const failure = (section: string, err: unknown) => {
    const reason = err instanceof Error ? err.message : String(err);
    log(section, `FAILED: ${reason}`);
    return { status: 'failed' as const, reason };
  };
  let broker: LocalBroker | undefined;
  try {
    if (SECTIONS.includes('publish') || SECTIONS.includes('drain')) {
      broker = await startLocalBroker();
      log('broker', `Mosquitto on ${broker.url}`);
    }
    if (SECTIONS.includes('publish') && broker) {
      try {
        publish = await runPublishRate({
          broker,
          rounds: env('BENCH_PUBLISH_ROUNDS', 7),
          seconds: env('BENCH_PUBLISH_SECONDS', 3),
          tags: TAGS,
          ...(CPU_PROF ? { cpuProfDir: CPU_PROF } : {}),
          log: (l) => log('publish', l),
        });
      } catch (err) {
        publish = failure('publish', err);
      }
    }
    if (SECTIONS.includes('append')) {
      try {
        const cases = await runAppend({
          dir,
          tags: list('BENCH_APPEND_TAGS', '10,100,1000').map(Number),
          durabilities: ['batch', 'interval'],
          rounds: env('BENCH_APPEND_ROUNDS', 3),
          seconds: env('BENCH_APPEND_SECONDS', 1),
          ...(CPU_PROF ? { cpuProfDir: CPU_PROF } : {}),
          log: (l) => log('append', l),
        });
        append = { cases };
      } catch (err) {
        append = failure('append', err);
      }
    }
    if (SECTIONS.includes('drain') && broker) {
      for (const { key, durability, consumer } of DRAIN_CASES) {
        try {
          drain[key] = await runDrain({
            consumer,
            broker,
            messages: env('BENCH_DRAIN_MESSAGES', 100_000),
            tags: TAGS,
            durability,
            dir,
            timeoutSeconds: env('BENCH_DRAIN_TIMEOUT', 120),
            ...(CPU_PROF ? { cpuProfDir: CPU_PROF } : {}),
            log: (l) => log(`drain ${key}`, l),
          });
        } catch (err) {
          drain[key] = failure(`drain ${key}`, err);
        }
      }
    }
  } finally {
    await broker?.dispose();
    await stopAllChildren();
  }
  const bufferFilesystem = filesystemOf(dir);
  removeTempDirs();

  // Goals.
  const pub = ok(publish);
  const batch = drain[GOAL_DRAIN] ? ok(drain[GOAL_DRAIN]) : undefined;
  const drainComplete = batch ? batch.consumer.inOrder && batch.sink.left === 0 && batch.fill.dropped === 0 : undefined;
  const goals: Record<string, { goal: string; value: number | null; result: Verdict }> = {};
  for (const variant of SINK_VARIANTS) {
    const s = pub?.sinks[variant];
    goals[`publishRatio:${variant}`] = { goal: `${variant} publish rate ≥ ${GOALS.publishRatio} × raw mqtt.js (QoS 1, 100 in flight)`, value: s?.ratioToRaw ?? null, result: verdict(s ? s.ratioToRaw >= GOALS.publishRatio : undefined) };
  }
  goals.drainRate = {
    goal: `drain of ${fmt(env('BENCH_DRAIN_MESSAGES', 100_000))} buffered messages (batch) to the broker ≥ ${fmt(GOALS.drainMessagesPerSecond)} messages/s, all received in order`,
    value: batch?.messagesPerSecond ?? null,
    result: verdict(batch ? batch.messagesPerSecond !== null && batch.messagesPerSecond >= GOALS.drainMessagesPerSecond && drainComplete === true : undefined),
  };

  const results = {
    benchmark: 'northbound',
    at: started.toISOString(),
    durationSeconds: round((performance.now() - t0) / 1000, 1),
    source: source(),
    machine: { ...machine(loadBefore), bufferFilesystem },
    broker: 'Debian Mosquitto 2.0, plain TCP on 127.0.0.1, set_tcp_nodelay, no queue or in-flight limit towards consumers',
    goals,
    publish,
    append,
    drain,
    notMeasured: NOT_MEASURED,
  };

  const rows: Row[] = [];
  if (pub) {
    rows.push(['1 publish', `raw mqtt.js, QoS 1, ${pub.window} in flight, ${pub.tags} tags (${fmt(pub.payloadBytes)} B)`, `${fmt(pub.raw.messagesPerSecond)} msg/s (${pub.raw.megabytesPerSecond} MB/s; ${pub.raw.cpuMicrosPerMessage} µs CPU/msg; broker ${pub.raw.brokerCpuMicrosPerMessage} µs/msg)`, '', '']);
    for (const variant of SINK_VARIANTS) {
      const s = pub.sinks[variant];
      if (!s) continue;
      rows.push([
        '1 publish',
        s.label,
        `${fmt(s.messagesPerSecond)} msg/s = ${s.ratioToRaw} × raw (rounds ${s.ratioEach.join(', ')}); ${s.cpuMicrosPerMessage} µs CPU/msg = ${s.cpuEfficiencyToRaw} × raw's efficiency${s.maxBuffered ? `; up to ${s.maxBuffered} buffered` : ''}`,
        `≥ ${GOALS.publishRatio}`,
        goals[`publishRatio:${variant}`]!.result,
      ]);
    }
  } else rows.push(['1 publish', '', 'reason' in publish ? `FAILED: ${publish.reason}` : 'skipped', `≥ ${GOALS.publishRatio}`, 'unavailable']);
  const app = ok(append);
  if (app) {
    for (const c of app.cases) {
      rows.push(['2 buffer append', `${c.durability}, ${c.tags} tags (${fmt(c.messageBytes)} B)`, `${fmt(c.messagesPerSecond)} msg/s, ${c.megabytesPerSecond} MB/s (${c.cpuMicrosPerMessage} µs CPU/msg); on disk ${c.flushedAfterMs} ms after the last${c.dropped ? `; ${c.dropped} DROPPED` : ''}`, '', '']);
    }
  } else rows.push(['2 buffer append', '', 'reason' in append ? `FAILED: ${append.reason}` : 'skipped', '', '']);
  for (const { key, durability, consumer } of DRAIN_CASES) {
    const d = drain[key] ? ok(drain[key]) : undefined;
    const section = `3 drain (${durability}, consumer ${consumer === 'offline' ? 'away' : 'online'})`;
    const isGoal = key === GOAL_DRAIN;
    if (!d) {
      const o = drain[key];
      rows.push([section, '', o && 'reason' in o ? `FAILED: ${o.reason}` : 'skipped', '', '']);
      continue;
    }
    const ref = d.reference;
    rows.push([section, `raw mqtt.js reference: ${fmt(ref.messages)} messages ${consumer === 'offline' ? 'to the broker, the same consumer away' : 'to the same consumer'}`, `${fmt(ref.messagesPerSecond)} msg/s (${ref.seconds} s; CPU: publisher ${ref.publisherCpuPercent}%, broker ${ref.brokerCpuPercent}%, consumer ${ref.consumerCpuPercent}%)`, '', '']);
    rows.push([section, `fill: ${fmt(d.messages)} samples into the sink's buffer, broker down`, `${fmt(d.fill.messagesPerSecond)} msg/s (${d.fill.megabytesPerSecond} MB/s, ${d.fill.cpuMicrosPerMessage} µs CPU/msg), ${round(d.fill.bufferBytes / 2 ** 20)} MiB${d.fill.dropped ? `, ${d.fill.dropped} DROPPED` : ''}`, '', '']);
    rows.push([
      section,
      consumer === 'offline' ? 'drain to the broker, until it acknowledged the last (then the consumer checks all)' : 'drain to the broker, until the consumer has all',
      d.messagesPerSecond === null
        ? `incomplete: ${fmt(d.sink.published)} sent, ${fmt(d.sink.left)} left, ${fmt(d.consumer.received)} received`
        : `${fmt(d.messagesPerSecond)} msg/s (${d.megabytesPerSecond} MB/s; ${d.ratioToReference} × the raw reference): buffer empty after ${d.sinkSeconds} s, consumer complete after ${d.consumerSeconds} s; ${d.consumer.inOrder ? 'all in order' : 'NOT all in order'}; CPU: sink ${d.cpuPercent}%, broker ${d.brokerCpuPercent}%, consumer ${d.consumerCpuPercent}%`,
      isGoal ? `≥ ${fmt(GOALS.drainMessagesPerSecond)}/s` : '',
      isGoal ? goals.drainRate.result : '',
    ]);
    rows.push([`4 RSS (${durability}, consumer ${consumer === 'offline' ? 'away' : 'online'})`, 'sink process RSS during the drain, median / max', `${d.rss.medianMiB} / ${d.rss.maxMiB} MiB (at most ${d.rss.anonMaxMiB} MiB private, ${d.rss.fileMaxMiB} MiB mapped buffer file; after the fill ${d.rss.afterFillMiB} MiB, peak ${d.rss.peakMiB} MiB)`, '', '']);
  }
  console.log('');
  printTable(['Section', 'Figure', 'Value', 'Goal', 'Result'], rows);
  console.log(`\nMachine: ${results.machine.cpus} × ${results.machine.cpuModel}, Node ${results.machine.node}, load ${results.machine.loadAverageBefore.join('/')} before; buffers on ${bufferFilesystem}; ${results.durationSeconds} s in all.`);
  console.log(`Not measured: ${Object.entries(NOT_MEASURED).map(([k, v]) => `${k} (${v})`).join('; ')}.`);
  if (ALL) {
    const file = await writeResults('northbound', results);
    console.log(`Results written to ${path.relative(process.cwd(), file)}`);
  } else {
    console.log(`Sections ${SECTIONS.join(',')} only: results not written (run all sections to update bench/results/northbound.json).`);
    console.log(JSON.stringify(results, null, 2));
  }
}

runBenchmark('bench:northbound', main);
