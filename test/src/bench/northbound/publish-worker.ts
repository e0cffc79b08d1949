/**
 * One publish-rate measurement in a process of its own (so its CPU is its own), against the
 * bench's broker. Prints one JSON line with the result and exits.
 *
 *   node publish-worker.js --mode raw|mqtt-broker|mqtt-fleet --url U --tags N --seconds S [--warmup-ms W]
 *   node publish-worker.js --mode raw --url U --tags N --count C
 *
 * - raw: an MQTT.js client publishing pre-made Neuron `values` payloads of the group (the bytes
 *   the sink would send, on the same topic) at QoS 1, the next one as soon as a PUBACK frees a
 *   place in a window of 100 (the forwarder's `maxInFlight`). Counted: PUBACKs. With `--count`,
 *   exactly C messages as fast as that goes (the drain section's raw reference).
 * - mqtt-broker, mqtt-fleet: the agent's MQTT sink (see sinks.ts) fed `GroupSample`s of the same
 *   group. The feeder keeps the sink's window full and no more: every millisecond it tops up
 *   what the broker acknowledged since (fed − `stats().published`), so every message goes
 *   straight out, as live data does, and nothing piles up in the buffer. Counted: the sink's
 *   `published`, which counts PUBACKs.
 */
// The agent's V8 settings (as its CLI applies them), for every mode alike: only the code differs.
import '../../../../agent/dist/runtime/heap-tuning.js';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import mqtt from 'mqtt';
import { buildSink, SINK_VARIANTS, type SinkVariant } from './sinks.js';
import { clientOptions, noDelay } from './fleet-publisher.js';
import { benchGroup, SampleSource, topicOf, valuesPayloads } from './load.js';

const { values: args } = parseArgs({
  options: {
    mode: { type: 'string' },
    url: { type: 'string' },
    tags: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '3' },
    'warmup-ms': { type: 'string', default: '1000' },
    count: { type: 'string', default: '0' },
  },
});
const mode = args.mode as 'raw' | SinkVariant;
const url = args.url ?? '';
const tags = Number(args.tags);
const seconds = Number(args.seconds);
const warmupMs = Number(args['warmup-ms']);
const count = Number(args.count);
/** The forwarder's default `maxInFlight`. */
const WINDOW = 100;

export interface PublishResult {
  mode: string;
  tags: number;
  payloadBytes: number;
  seconds: number;
  /** Messages the broker acknowledged in the window. */
  messages: number;
  errors: number;
  cpuSeconds: number;
  rssBytes: number;
  /** Sinks: the most messages seen waiting in the buffer instead of going straight out (should be 0). */
  buffered?: number;
  dropped?: number;
}

interface Counter {
  acked(): number;
  errors(): number;
}

/** Lets `counter` run through the warm-up, then counts over the window. */
async function window(counter: Counter): Promise<Pick<PublishResult, 'seconds' | 'messages' | 'errors' | 'cpuSeconds'>> {
  await sleep(warmupMs);
  const m0 = counter.acked();
  const e0 = counter.errors();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const messages = counter.acked() - m0;
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { seconds: elapsed, messages, errors: counter.errors() - e0, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

async function raw(): Promise<PublishResult> {
  const group = benchGroup(tags);
  const topic = topicOf(group);
  const payloads = valuesPayloads(group);
  const client = await mqtt.connectAsync(url, clientOptions(`edgefleet-bench-raw-${process.pid}`));
  noDelay(client);
  let acked = 0;
  let errors = 0;
  let outstanding = 0;
  let k = 0;
  let running = true;
  let allAcked: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (allAcked = resolve));
  const onAck = (err?: Error) => {
    outstanding--;
    if (err) errors++;
    else acked++;
    if (count > 0 && acked + errors === count) allAcked();
    fill();
  };
  const fill = () => {
    while (running && outstanding < WINDOW && (count === 0 || k < count)) {
      outstanding++;
      client.publish(topic, payloads[k++ % payloads.length]!, { qos: 1 }, onAck);
    }
  };
  if (count > 0) {
    // A fixed number of messages from the first publish to the last PUBACK (the drain's reference).
    // The bench times the run by when it reads this line and the result (one clock for it and its consumer).
    process.stdout.write(`${JSON.stringify({ event: 'started' })}\n`);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    fill();
    await done;
    const elapsed = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    await client.endAsync();
    return { mode, tags, payloadBytes: payloads[0]!.length, seconds: elapsed, messages: acked, errors, cpuSeconds: (cpu.user + cpu.system) / 1e6, rssBytes: process.memoryUsage().rss };
  }
  fill();
  const w = await window({ acked: () => acked, errors: () => errors });
  running = false;
  await client.endAsync();
  return { mode, tags, payloadBytes: payloads[0]!.length, ...w, rssBytes: process.memoryUsage().rss };
}

async function sink(variant: SinkVariant): Promise<PublishResult> {
  const group = benchGroup(tags);
  const source = new SampleSource(group);
  const built = await buildSink(variant, url);
  const { sink: s } = built;
  await s.start();
  const deadline = Date.now() + 10_000;
  while (s.link() !== 'connected') {
    if (Date.now() > deadline) throw new Error(`the ${variant} sink did not connect: ${s.stats().lastError ?? s.link()}`);
    await sleep(5);
  }
  let fed = 0;
  let buffered = 0;
  const timer = setInterval(() => {
    const stats = s.stats();
    buffered = Math.max(buffered, stats.bufferDepth);
    for (let outstanding = fed - stats.published - stats.dropped; outstanding < WINDOW; outstanding++) {
      s.publish(source.next());
      fed++;
    }
  }, 1);
  const w = await window({ acked: () => s.stats().published, errors: () => s.stats().errors });
  clearInterval(timer);
  const stats = s.stats();
  await built.close();
  return { mode, tags, payloadBytes: valuesPayloads(group, 1)[0]!.length, ...w, rssBytes: process.memoryUsage().rss, buffered: Math.max(buffered, stats.bufferDepth), dropped: stats.dropped };
}

async function main(): Promise<void> {
  if (mode !== 'raw' && !(SINK_VARIANTS as readonly string[]).includes(mode)) throw new Error(`unknown mode ${mode}`);
  const result = mode === 'raw' ? await raw() : await sink(mode);
  process.stdout.write(`${JSON.stringify({ result })}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
