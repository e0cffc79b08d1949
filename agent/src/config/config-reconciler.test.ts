import { mkdtemp, rm, readFile, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configDigest } from '@edgefleet/protocol';
import { ConfigReconciler, type ApplyState } from './config-reconciler.js';
import { LastGoodStore } from './last-good-store.js';
import { configMessage, silentLog, simDevice, testEngine } from '../test-support/fixtures.js';

describe('ConfigReconciler', () => {
  let dir: string;
  let cleanup: Array<() => Promise<void>>;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ef-agent-'));
    cleanup = [];
  });
  afterEach(async () => {
    for (const c of cleanup) await c();
    await rm(dir, { recursive: true, force: true });
  });

  function make() {
    const t = testEngine();
    cleanup.push(() => t.engine.stopAll());
    const changes: ApplyState[] = [];
    const store = new LastGoodStore(dir);
    const reconciler = new ConfigReconciler({ engine: t.engine, store, log: silentLog, onChange: (s) => changes.push({ ...s }) });
    return { ...t, reconciler, changes, store };
  }

  const doc1 = { devices: [simDevice('a')] };
  const doc2 = { devices: [simDevice('a'), simDevice('b')] };

  it('applies a newer revision, persists it and ignores stale and duplicate ones', async () => {
    const { reconciler, engine, changes, store } = make();
    await reconciler.handleMessage(configMessage(2, doc1));
    expect(reconciler.state()).toMatchObject({ appliedRevision: 2, status: 'applied', revision: 2, error: null, source: 'broker' });
    expect(changes.map((c) => c.status)).toEqual(['applying', 'applied']);
    const saved = await store.load();
    expect(saved).toMatchObject({ kind: 'loaded', value: { revision: 2, sha256: configDigest(doc1), document: doc1 } });

    const n = changes.length;
    await reconciler.handleMessage(configMessage(2, doc2));
    await reconciler.handleMessage(configMessage(1, doc2));
    expect(changes.length).toBe(n);
    expect(engine.device('b')).toBeUndefined();

    await reconciler.handleMessage(configMessage(3, doc2));
    expect(reconciler.state().appliedRevision).toBe(3);
    expect(engine.device('b')).toBeDefined();
  });

  it('rejects a digest mismatch and keeps the running config', async () => {
    const { reconciler, engine } = make();
    await reconciler.handleMessage(configMessage(1, doc1));
    await reconciler.handleMessage(configMessage(2, doc2, configDigest(doc1)));
    expect(reconciler.state()).toMatchObject({ appliedRevision: 1, status: 'rejected', revision: 2, error: { code: 'CONFIG_DIGEST_MISMATCH' } });
    expect(engine.device('b')).toBeUndefined();
  });

  it('rejects an invalid document with every failing path, and does not retry that revision', async () => {
    const { reconciler, changes } = make();
    await reconciler.handleMessage(configMessage(1, doc1));
    const bad = { devices: [{ ...simDevice('x'), groups: [{ name: 'g', intervalMs: 5, tags: [{ name: 't', address: 'squarewave', type: 'int16' }] }] }], extra: 1 };
    await reconciler.handleMessage(configMessage(2, bad));
    const s = reconciler.state();
    expect(s).toMatchObject({ appliedRevision: 1, status: 'rejected', revision: 2, error: { code: 'CONFIG_INVALID' } });
    const paths = s.error?.issues?.map((i) => i.path) ?? [];
    expect(paths).toContain('devices[0].groups[0].intervalMs');
    expect(paths).toContain('(root)');
    const n = changes.length;
    await reconciler.handleMessage(configMessage(2, bad));
    expect(changes.length).toBe(n);
  });

  it('reports failed for an unavailable driver and keeps the previous revision applied', async () => {
    const { reconciler, engine, store } = make();
    await reconciler.handleMessage(configMessage(1, doc1));
    const a = engine.device('a');
    await reconciler.handleMessage(configMessage(2, { devices: [simDevice('a'), { name: 'plc', driver: 'opcua', settings: { endpointUrl: 'opc.tcp://x:4840' } }] }));
    expect(reconciler.state()).toMatchObject({ appliedRevision: 1, status: 'failed', revision: 2, error: { code: 'DRIVER_UNAVAILABLE' } });
    expect(reconciler.state().error?.message).toContain("device 'plc'");
    expect(engine.device('a')).toBe(a);
    expect((await store.load())).toMatchObject({ value: { revision: 1 } });
  });

  it('ignores malformed messages without throwing', async () => {
    const { reconciler, changes } = make();
    await reconciler.handleMessage('not json');
    await reconciler.handleMessage(JSON.stringify({ revision: 'x' }));
    expect(changes).toHaveLength(0);
  });

  it('boots into the last good config from disk, then treats that revision as handled', async () => {
    const first = make();
    await first.reconciler.handleMessage(configMessage(4, doc2));
    await first.engine.stopAll();

    const second = make();
    await second.reconciler.boot();
    expect(second.reconciler.state()).toMatchObject({ appliedRevision: 4, source: 'disk', status: 'applied' });
    expect(second.engine.deviceRunners().map((r) => r.name).sort()).toEqual(['a', 'b']);
    const n = second.changes.length;
    await second.reconciler.handleMessage(configMessage(4, doc2));
    expect(second.changes.length).toBe(n);
  });

  it('ignores a damaged last-good file', async () => {
    await mkdir(join(dir, 'config'), { recursive: true });
    await writeFile(join(dir, 'config', 'last-good.json'), '{"revision": 1');
    const { reconciler, engine } = make();
    await reconciler.boot();
    expect(reconciler.state().appliedRevision).toBeNull();
    expect(engine.deviceRunners()).toHaveLength(0);
    expect(await readFile(join(dir, 'config', 'last-good.json'), 'utf8')).toContain('revision');
  });
});
