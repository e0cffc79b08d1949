/**
 * Section 3's agent side, in a process of its own so its memory is measured alone: the agent's
 * MQTT sink on the bench's broker, which the bench stops, so that the sink keeps what it is fed
 * in its durable buffer, and starts again, so that the sink drains it. JSON lines on stdout
 * report each step; the bench times the drain by when it reads them, on its own clock (the
 * clocks of two processes drift apart here by up to 0.5 %: performance.timeOrigin is fixed at
 * start and the wall clock is slewed).
 *
 *   node drain-worker.js --url U --state-dir D --messages N --tags T --durability batch|interval
 *
 *  1. start the sink, `{"event":"connected"}` once its link is up;
 *  2. `{"event":"down"}` once it saw the broker go (the bench stopped it);
 *  3. feed it N samples while its link is down and wait for them to be on disk (`flushed()`):
 *     `{"event":"filled", …}`. The feeder keeps at most ≈ 8 MB not yet committed, through the
 *     sink's own buffer (the pool hands the bench the one the sink uses), so the buffer takes
 *     everything without dropping;
 *  4. `{"event":"reconnected"}` as soon as the link is up again (the bench started the broker
 *     again), `{"event":"drained", …}` once the buffer is empty, every message acknowledged by
 *     the broker (QoS 1);
 *  5. waits for `stop` on stdin (or its end), stops the sink and exits.
 */
// The agent's V8 settings, as its CLI applies them before anything else loads.
import '../../../../agent/dist/runtime/heap-tuning.js';
import readline from 'node:readline';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Durability } from '../../../../agent/dist/sinks/buffer/durable-buffer.js';
import { buildSink } from './sinks.js';
import { benchGroup, SampleSource, topicOf, valuesPayloads } from './load.js';

const { values: args } = parseArgs({
  options: {
    url: { type: 'string' },
    'state-dir': { type: 'string' },
    messages: { type: 'string', default: '100000' },
    tags: { type: 'string', default: '100' },
    durability: { type: 'string', default: 'batch' },
    'timeout-s': { type: 'string', default: '120' },
  },
});

const CHUNK_BYTES = 1_000_000;
const UNCOMMITTED_MAX_BYTES = 8_000_000;

const emit = (event: string, fields: Record<string, unknown> = {}) => process.stdout.write(`${JSON.stringify({ event, ...fields })}\n`);

async function until(check: () => boolean, timeoutMs: number, what: string, everyMs = 1): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

async function main(): Promise<void> {
  const messages = Number(args.messages);
  const timeoutMs = Number(args['timeout-s']) * 1000;
  const durability = args.durability as Durability;
  const group = benchGroup(Number(args.tags));
  const source = new SampleSource(group);
  const built = await buildSink('mqtt-broker', args.url ?? '', { stateDir: args['state-dir'] ?? '', buffer: { durability }, clientId: 'edgefleet-bench-drain' });
  const { sink, context, config } = built;
  const stdin = readline.createInterface({ input: process.stdin });
  const stopped = new Promise<void>((resolve) => {
    stdin.on('line', (line) => line.trim() === 'stop' && resolve());
    stdin.on('close', () => resolve());
  });

  await sink.start();
  await until(() => sink.link() === 'connected', 15_000, 'the sink to connect', 5);
  emit('connected');
  await until(() => sink.link() !== 'connected', 30_000, 'the broker to go away', 5);
  emit('down', { link: sink.link() });

  // The sink's own buffer, from the pool it shares with the sink: how far the store has got.
  const buffer = await context.buffers.acquire(config.name, config.buffer);
  const messageBytes = Buffer.byteLength(topicOf(group)) + valuesPayloads(group, 1)[0]!.length;
  const perChunk = Math.max(1, Math.floor(CHUNK_BYTES / messageBytes));
  const maxUncommitted = Math.ceil(UNCOMMITTED_MAX_BYTES / messageBytes);
  const fillStart = performance.now();
  const cpu0 = process.cpuUsage();
  const waiting: Array<{ count: number; done: Promise<void> }> = [];
  let fed = 0;
  let uncommitted = 0;
  while (fed < messages) {
    const n = Math.min(perChunk, messages - fed);
    for (let i = 0; i < n; i++) sink.publish(source.next());
    fed += n;
    uncommitted += n;
    const done = buffer.committed();
    // Awaited below when the producer must wait; a failed commit also shows as dropped in the stats.
    done.catch(() => undefined);
    waiting.push({ count: n, done });
    if (uncommitted > maxUncommitted) {
      while (uncommitted > maxUncommitted / 2) {
        const w = waiting.shift()!;
        await w.done;
        uncommitted -= w.count;
      }
    } else await new Promise((r) => setImmediate(r));
  }
  await buffer.flushed();
  const fillEnd = performance.now();
  const cpu = process.cpuUsage(cpu0);
  const filled = sink.stats();
  emit('filled', {
    seconds: (fillEnd - fillStart) / 1000,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    messageBytes,
    depth: filled.bufferDepth,
    bytes: filled.bufferBytes,
    dropped: filled.dropped,
    link: filled.link,
    rssBytes: process.memoryUsage().rss,
  });

  await until(() => sink.link() === 'connected', timeoutMs, 'the sink to reconnect');
  emit('reconnected');
  const t0 = performance.now();
  const drainCpu0 = process.cpuUsage();
  let seconds: number | null = null;
  try {
    await until(() => sink.stats().bufferDepth === 0, timeoutMs, 'the buffer to drain', 2);
    seconds = (performance.now() - t0) / 1000;
  } catch {
    // Reported below with what is left.
  }
  const drainCpu = process.cpuUsage(drainCpu0);
  const drained = sink.stats();
  emit('drained', {
    seconds,
    cpuSeconds: (drainCpu.user + drainCpu.system) / 1e6,
    published: drained.published,
    errors: drained.errors,
    dropped: drained.dropped,
    left: drained.bufferDepth,
    lastError: drained.lastError,
  });
  await buffer.flushed().catch(() => undefined);
  await context.buffers.release(config.name);
  await stopped;
  await built.close();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
