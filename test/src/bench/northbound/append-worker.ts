/**
 * Section 2 in a process of its own: the durable buffer's append rate, as a sink whose link is
 * down would use it, for each durability and payload size, interleaved round by round. Prints
 * one JSON line with the results and exits.
 *
 *   node append-worker.js --dir D --tags 10,100,1000 --durability batch,interval --rounds R --seconds S
 *
 * Each run opens a fresh buffer (agent defaults but for `maxBytes`, raised so nothing is dropped
 * for room) and appends pre-made Neuron `values` payloads on the fleet data topic for S seconds
 * after a short warm-up. The producer appends ≈ 1 MB per event-loop turn (one LMDB transaction)
 * and waits, before going further, until at most 8 MB are not yet committed (`committed()`), so
 * it never outruns the store into the staging queue, where the buffer would drop the newest.
 * Rate: messages appended ÷ the time until the last of them was committed. Then `flushed()`:
 * how long after the last append everything was on disk per the policy.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DurableBuffer, type Durability } from '../../../../agent/dist/sinks/buffer/durable-buffer.js';
import { benchGroup, topicOf, valuesPayloads } from './load.js';

const { values: args } = parseArgs({
  options: {
    dir: { type: 'string' },
    tags: { type: 'string', default: '10,100,1000' },
    durability: { type: 'string', default: 'batch,interval' },
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '1' },
    'warmup-ms': { type: 'string', default: '300' },
  },
});

const CHUNK_BYTES = 1_000_000;
const UNCOMMITTED_MAX_BYTES = 8_000_000;
const MAX_BYTES = 4 * 1024 ** 3;

export interface AppendRun {
  durability: Durability;
  tags: number;
  /** Topic + payload bytes of one message. */
  messageBytes: number;
  messages: number;
  seconds: number;
  messagesPerSecond: number;
  megabytesPerSecond: number;
  /** From the last append until `flushed()` resolved: on disk per the policy. */
  flushedAfterMs: number;
  dropped: number;
  cpuSeconds: number;
}

async function appendRun(dir: string, durability: Durability, tags: number, seconds: number, warmupMs: number): Promise<AppendRun> {
  const group = benchGroup(tags);
  const topic = topicOf(group);
  const payloads = valuesPayloads(group);
  const messageBytes = Buffer.byteLength(topic) + payloads[0]!.length;
  const perChunk = Math.max(1, Math.floor(CHUNK_BYTES / messageBytes));
  const buffer = await DurableBuffer.open({ dir, maxBytes: MAX_BYTES, durability });
  try {
    let k = 0;
    const waiting: Array<{ bytes: number; done: Promise<void> }> = [];
    let uncommitted = 0;
    const appendFor = async (ms: number): Promise<number> => {
      let n = 0;
      const end = performance.now() + ms;
      while (performance.now() < end) {
        for (let i = 0; i < perChunk; i++) buffer.append(topic, payloads[k++ % payloads.length]!);
        n += perChunk;
        const bytes = perChunk * messageBytes;
        uncommitted += bytes;
        const done = buffer.committed();
        // Awaited below when the producer must wait; a failed commit also shows as dropped.
        done.catch(() => undefined);
        waiting.push({ bytes, done });
        if (uncommitted > UNCOMMITTED_MAX_BYTES) {
          while (uncommitted > UNCOMMITTED_MAX_BYTES / 2) {
            const w = waiting.shift()!;
            await w.done;
            uncommitted -= w.bytes;
          }
        } else await new Promise((r) => setImmediate(r));
      }
      return n;
    };
    await appendFor(warmupMs);
    await buffer.committed();
    waiting.length = 0;
    uncommitted = 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const messages = await appendFor(seconds * 1000);
    await buffer.committed();
    const t1 = performance.now();
    await buffer.flushed();
    const t2 = performance.now();
    const cpu = process.cpuUsage(cpu0);
    const elapsed = (t1 - t0) / 1000;
    return {
      durability,
      tags,
      messageBytes,
      messages,
      seconds: elapsed,
      messagesPerSecond: messages / elapsed,
      megabytesPerSecond: (messages * messageBytes) / elapsed / 1e6,
      flushedAfterMs: t2 - t1,
      dropped: buffer.stats().dropped,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
    };
  } finally {
    await buffer.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const dir = args.dir;
  if (!dir) throw new Error('--dir is required');
  const sizes = (args.tags ?? '').split(',').map(Number);
  const durabilities = (args.durability ?? '').split(',') as Durability[];
  const runs: AppendRun[] = [];
  let n = 0;
  for (let round = 1; round <= Number(args.rounds); round++) {
    for (const tags of sizes) {
      for (const durability of durabilities) {
        const run = await appendRun(path.join(dir, `run-${n++}`), durability, tags, Number(args.seconds), Number(args['warmup-ms']));
        runs.push(run);
        process.stdout.write(`${JSON.stringify({ progress: run })}\n`);
      }
    }
  }
  process.stdout.write(`${JSON.stringify({ result: runs })}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
