import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DurableBuffer, type BufferedMessage } from './durable-buffer.js';

/**
 * kill -9 in the middle of appending: every seq the child saw `flushed()` for must be in the
 * store after a reopen, in order and intact, and nothing in the store may be torn. The child
 * runs the compiled module (a plain node process cannot load TypeScript), so build first.
 */
const repo = resolve(import.meta.dirname, '../../../..');
const compiled = join(repo, 'agent/dist/sinks/buffer/durable-buffer.js');
const sources = ['durable-buffer.ts', 'durability.ts', 'records.ts'].map((f) => join(import.meta.dirname, f));

/** The child and the check agree on this: a message's content follows from its number. */
function expectedPayload(n: number): Buffer {
  const body = Buffer.alloc(64 + ((n * 37) % 2000), n % 251);
  body.writeUInt32LE(n, 0);
  return body;
}

const child = `
import { DurableBuffer } from ${JSON.stringify(pathToFileURL(compiled).href)};
const [dir] = process.argv.slice(2);
function payload(n) {
  const body = Buffer.alloc(64 + ((n * 37) % 2000), n % 251);
  body.writeUInt32LE(n, 0);
  return body;
}
const buffer = await DurableBuffer.open({ dir, maxBytes: 256 * 1024 * 1024 });
let n = 0;
for (;;) {
  const lines = [];
  for (let i = 0; i < 50; i++, n++) lines.push(buffer.append('t/' + n, payload(n)) + ' ' + n);
  await buffer.flushed();
  process.stdout.write(lines.join('\\n') + '\\n');
}
`;

let root: string;

beforeAll(async () => {
  // `npm test` builds first; run alone, the test says what is missing rather than testing stale code.
  const built = (await stat(compiled).catch(() => undefined))?.mtimeMs ?? 0;
  for (const source of sources) {
    if ((await stat(source)).mtimeMs > built) throw new Error(`${compiled} is missing or older than ${source}: run npm run build`);
  }
  root = await mkdtemp(join(tmpdir(), 'ef-buffer-crash-'));
}, 120_000);

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

/** Runs the child until it reported at least `minFlushed` seqs, then SIGKILLs it. Returns seq -> n. */
async function appendThenKill(script: string, dir: string, minFlushed: number): Promise<Map<number, number>> {
  const proc = spawn(process.execPath, [script, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  const flushed = new Map<number, number>();
  let partial = '';
  let stderr = '';
  proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<NodeJS.Signals | null>((r) => proc.once('exit', (_code, signal) => r(signal)));
  await new Promise<void>((done, fail) => {
    proc.stdout.on('data', (c: Buffer) => {
      const lines = (partial + c.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        const [seq, n] = line.split(' ').map(Number);
        flushed.set(seq!, n!);
      }
      if (flushed.size >= minFlushed) done();
    });
    proc.once('exit', (code) => fail(new Error(`child exited early (${code}): ${stderr}`)));
  });
  // Mid-stream: the child is between appends, commits and fsyncs.
  proc.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
  return flushed;
}

function readAll(b: DurableBuffer): BufferedMessage[] {
  const all: BufferedMessage[] = [];
  for (let batch = b.next(1000); batch.length > 0; batch = b.next(1000)) all.push(...batch);
  return all;
}

describe('DurableBuffer after kill -9', () => {
  it('keeps every flushed message, in order and intact, across two crashes', async () => {
    const script = join(root, 'child.mjs');
    await writeFile(script, child);
    const dir = join(root, 'buffer');
    let acked = 0;

    for (let round = 0; round < 2; round++) {
      const reported = await appendThenKill(script, dir, 3_000);
      // A restarted child continues the sequence after everything acked before.
      expect(Math.min(...reported.keys())).toBe(acked + 1);

      const b = await DurableBuffer.open({ dir, maxBytes: 256 * 1024 * 1024 });
      try {
        const stored = readAll(b);
        const bySeq = new Map(stored.map((m) => [m.seq, m]));
        for (let i = 1; i < stored.length; i++) expect(stored[i]!.seq).toBeGreaterThan(stored[i - 1]!.seq);
        // Every stored message is whole, flushed-reported or not.
        for (const m of stored) {
          const n = Number(m.topic.slice(2));
          expect(m.topic).toBe(`t/${n}`);
          expect(m.payload.equals(expectedPayload(n))).toBe(true);
        }
        const missing = [...reported.keys()].filter((seq) => !bySeq.has(seq));
        expect(missing).toEqual([]);
        for (const [seq, n] of reported) expect(bySeq.get(seq)!.topic).toBe(`t/${n}`);
        expect(b.stats()).toMatchObject({ depth: stored.length, dropped: 0 });
        // The next run continues the sequence.
        expect(b.append('probe', 'x')).toBeGreaterThan(stored[stored.length - 1]!.seq);
        const last = b.append('probe', 'y');
        await b.flushed();
        b.ack(last);
        acked = last;
      } finally {
        await b.close();
      }
    }
  }, 120_000);
});
