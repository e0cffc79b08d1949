import os from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { ValuesCache } from '../runtime/values-cache.js';
import { config, silentLog, testEngine } from '../test-support/fixtures.js';
import { CommandHandler } from './command-handler.js';

const requestId = 'req-12345678';
const future = () => new Date(Date.now() + 60_000).toISOString();

describe('CommandHandler', () => {
  let stop: (() => Promise<void>) | undefined;
  afterEach(async () => stop?.());

  async function make() {
    const { engine, drivers } = testEngine();
    stop = () => engine.stopAll();
    const cache = new ValuesCache();
    await engine.apply(
      config({
        devices: [
          {
            name: 'sim',
            driver: 'simulator',
            groups: [
              {
                name: 'g',
                intervalMs: 60_000,
                tags: [
                  { name: 'mem', address: 'memory', type: 'float64', access: 'rw', scale: 10 },
                  { name: 'cnt', address: 'counter', type: 'int32' },
                ],
              },
            ],
          },
        ],
      }),
    );
    const handler = new CommandHandler({ engine, cache, drivers, driverContext: { stateDir: os.tmpdir(), log: silentLog }, appliedRevision: () => 7, log: silentLog });
    const send = (body: Record<string, unknown>) => handler.handle(requestId, JSON.stringify({ requestId, deadline: future(), ...body }));
    return { engine, cache, handler, send };
  }

  it('answers ping with the applied revision', async () => {
    const { send } = await make();
    expect(await send({ command: 'ping' })).toMatchObject({ requestId, ok: true, result: { appliedRevision: 7, agentVersion: expect.any(String) } });
  });

  it('reads values from the cache, filtered by device and group', async () => {
    const { send, cache } = await make();
    cache.put({ device: 'sim', group: 'g', timestamp: 1, values: { cnt: 1 }, errors: {} });
    cache.put({ device: 'other', group: 'g', timestamp: 1, values: { x: 1 }, errors: {} });
    const reply = await send({ command: 'read-values', args: { device: 'sim' } });
    expect(reply).toEqual({ requestId, ok: true, result: { groups: [{ device: 'sim', group: 'g', timestamp: 1, values: { cnt: 1 }, errors: {} }] } });
    expect(await send({ command: 'read-values' })).toMatchObject({ result: { groups: [{}, {}] } });
  });

  it('writes a memory point, unscaled, and the next read shows it scaled back', async () => {
    const { send, engine } = await make();
    expect(await send({ command: 'write', args: { device: 'sim', group: 'g', tag: 'mem', value: 50 } })).toMatchObject({ ok: true, result: { value: 50 } });
    const runner = engine.device('sim')!;
    const values = await runner.poll(runner.device.groups[0]!);
    expect(values?.values.mem).toBe(50);
  });

  it('refuses writes to read-only or unknown tags', async () => {
    const { send } = await make();
    expect(await send({ command: 'write', args: { device: 'sim', group: 'g', tag: 'cnt', value: 1 } })).toMatchObject({ ok: false, error: { code: 'TAG_NOT_WRITABLE' } });
    expect(await send({ command: 'write', args: { device: 'sim', group: 'g', tag: 'x', value: 1 } })).toMatchObject({ ok: false, error: { code: 'TAG_NOT_FOUND' } });
    expect(await send({ command: 'write', args: { device: 'nope', group: 'g', tag: 'x', value: 1 } })).toMatchObject({ ok: false, error: { code: 'TAG_NOT_FOUND' } });
  });

  it('answers unknown and invalid commands, and drops what it cannot address or is too late', async () => {
    const { send, handler } = await make();
    expect(await send({ command: 'format-disk' })).toMatchObject({ ok: false, error: { code: 'COMMAND_UNKNOWN' } });
    expect(await send({ command: 'write', args: {} })).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED', issues: expect.any(Array) } });
    expect(await handler.handle(requestId, 'garbage')).toMatchObject({ requestId, ok: false, error: { code: 'VALIDATION_FAILED' } });
    expect(await handler.handle('x', 'garbage')).toBeUndefined();
    expect(await handler.handle(requestId, JSON.stringify({ requestId, command: 'ping', deadline: new Date(Date.now() - 1000).toISOString() }))).toBeUndefined();
  });
});
