import { describe, expect, it, vi } from 'vitest';
import type { WriteHandler } from '../transport/transport.js';
import { MAX_WRITE_REQUEST_BYTES, NeuronWriteError, answerWriteRequest, carryOutWrites, neuronWriteErrorNumber, parseWriteRequest, writeResponseJson } from './neuron-write.js';

const json = (v: unknown) => Buffer.from(JSON.stringify(v));

describe('parseWriteRequest', () => {
  it('reads the one-tag shape', () => {
    expect(parseWriteRequest(json({ uuid: 'u1', node: 'plc', group: 'fast', tag: 'speed', value: 12.5 }))).toEqual({
      uuid: 'u1',
      requests: [{ device: 'plc', group: 'fast', tag: 'speed', value: 12.5 }],
    });
  });

  it('reads the many-tags shape, in order, with every value type', () => {
    const parsed = parseWriteRequest(
      json({
        uuid: 'u2',
        node: 'plc',
        group: 'g',
        tags: [
          { tag: 'a', value: 1 },
          { tag: 'b', value: true },
          { tag: 'c', value: 'text' },
          { tag: 'd', value: [1, 2, 255] },
        ],
      }),
    );
    expect(parsed).toEqual({
      uuid: 'u2',
      requests: [
        { device: 'plc', group: 'g', tag: 'a', value: 1 },
        { device: 'plc', group: 'g', tag: 'b', value: true },
        { device: 'plc', group: 'g', tag: 'c', value: 'text' },
        { device: 'plc', group: 'g', tag: 'd', value: [1, 2, 255] },
      ],
    });
  });

  it('ignores fields it does not know (Neuron clients may send more)', () => {
    expect(parseWriteRequest(json({ uuid: 'u', node: 'n', group: 'g', tag: 't', value: 0, extra: { x: 1 } }))).toMatchObject({ uuid: 'u' });
  });

  it('drops what is not JSON, or not an object, with nothing to answer', () => {
    for (const payload of [Buffer.from('{not json'), Buffer.from(''), Buffer.from([0xff, 0xfe, 0x00]), json([1, 2]), json('text'), json(null), json(42)]) {
      const parsed = parseWriteRequest(payload);
      expect(parsed).toHaveProperty('error');
      expect(parsed).not.toHaveProperty('response');
    }
  });

  it('drops a request without a usable uuid', () => {
    for (const body of [{ node: 'n', group: 'g', tag: 't', value: 1 }, { uuid: 7, node: 'n', group: 'g', tag: 't', value: 1 }, { uuid: '', node: 'n', group: 'g', tag: 't', value: 1 }]) {
      const parsed = parseWriteRequest(json(body));
      expect(parsed).toHaveProperty('error');
      expect(parsed).not.toHaveProperty('response');
    }
  });

  it('answers a request with a uuid but missing or wrong fields with BODY_IS_WRONG, naming the field', () => {
    const cases: [unknown, RegExp][] = [
      [{ uuid: 'u', group: 'g', tag: 't', value: 1 }, /'node' is missing/],
      [{ uuid: 'u', node: 'n', tag: 't', value: 1 }, /'group' is missing/],
      [{ uuid: 'u', node: 'n', group: 'g', tag: 't' }, /'value' is missing/],
      [{ uuid: 'u', node: 'n', group: 'g', value: 1 }, /'tag' is missing/],
      [{ uuid: 'u', node: 'n', group: 'g', tag: 't', value: { nested: 1 } }, /'value'/],
      [{ uuid: 'u', node: 'n', group: 'g', tags: [] }, /'tags'/],
      [{ uuid: 'u', node: 'n', group: 'g', tags: [{ tag: 'a' }] }, /'tags\.0\.value' is missing/],
      [{ uuid: 'u', node: 'n', group: 'g', tag: 't', value: 1, tags: [{ tag: 'a', value: 1 }] }, /both 'tag' and 'tags'/],
    ];
    for (const [body, message] of cases) {
      const parsed = parseWriteRequest(json(body));
      expect(parsed, JSON.stringify(body)).toMatchObject({ response: { uuid: 'u', error: NeuronWriteError.BODY_IS_WRONG } });
      if ('response' in parsed) expect(parsed.response?.message).toMatch(message);
    }
  });

  it('refuses an oversized payload without parsing it', () => {
    const parsed = parseWriteRequest(Buffer.alloc(MAX_WRITE_REQUEST_BYTES + 1, 0x20));
    expect(parsed).toHaveProperty('error');
  });
});

describe('writeResponseJson', () => {
  it('is {uuid, error: 0} on success, with no message', () => {
    expect(JSON.parse(writeResponseJson({ uuid: 'u', error: 0, message: 'ignored' }))).toEqual({ uuid: 'u', error: 0 });
  });
  it('carries the number and the reason on failure', () => {
    expect(JSON.parse(writeResponseJson({ uuid: 'u', error: 3004, message: 'speed: read-only' }))).toEqual({ uuid: 'u', error: 3004, message: 'speed: read-only' });
  });
});

describe('neuronWriteErrorNumber', () => {
  it("maps the command path's write errors to Neuron's numbers", () => {
    expect(neuronWriteErrorNumber('TAG_NOT_FOUND')).toBe(2201);
    expect(neuronWriteErrorNumber('TAG_NOT_WRITABLE')).toBe(3004);
    expect(neuronWriteErrorNumber('VALIDATION_FAILED')).toBe(3007);
    expect(neuronWriteErrorNumber('CONFLICT')).toBe(3010);
    expect(neuronWriteErrorNumber('DEVICE_ERROR')).toBe(3001);
    expect(neuronWriteErrorNumber('INTERNAL')).toBe(1001);
  });
});

describe('carryOutWrites', () => {
  it('writes every tag in order and answers 0 when all succeed', async () => {
    const seen: string[] = [];
    const handler: WriteHandler = async (r) => {
      seen.push(`${r.device}/${r.group}/${r.tag}=${String(r.value)}`);
      return { ok: true };
    };
    const response = await carryOutWrites('u', [{ device: 'd', group: 'g', tag: 'a', value: 1 }, { device: 'd', group: 'g', tag: 'b', value: 2 }], handler);
    expect(response).toEqual({ uuid: 'u', error: 0 });
    expect(seen).toEqual(['d/g/a=1', 'd/g/b=2']);
  });

  it('goes on after a failure and reports the first failure with every reason', async () => {
    const handler: WriteHandler = async (r) =>
      r.tag === 'a' ? { ok: false, error: { code: 'TAG_NOT_WRITABLE', message: 'the tag is read-only' } } : r.tag === 'c' ? { ok: false, error: { code: 'DEVICE_ERROR', message: 'no answer' } } : { ok: true };
    const spy = vi.fn(handler);
    const response = await carryOutWrites('u', ['a', 'b', 'c'].map((tag) => ({ device: 'd', tag, value: 0 })), spy);
    expect(spy).toHaveBeenCalledTimes(3);
    expect(response).toEqual({ uuid: 'u', error: 3004, message: 'a: the tag is read-only; c: no answer' });
  });

  it('turns a throwing handler into an internal error without its text', async () => {
    const onError = vi.fn();
    const response = await carryOutWrites('u', [{ device: 'd', tag: 't', value: 1 }], async () => {
      throw new Error('secret detail');
    }, onError);
    expect(response.error).toBe(NeuronWriteError.INTERNAL);
    expect(response.message).not.toContain('secret');
    expect(onError).toHaveBeenCalledOnce();
  });

  it('answers that writes are off when there is no handler', async () => {
    expect(await carryOutWrites('u', [{ device: 'd', tag: 't', value: 1 }], undefined)).toMatchObject({ error: NeuronWriteError.TAG_NOT_ALLOW_WRITE });
  });
});

describe('answerWriteRequest', () => {
  it('parses, writes and answers', async () => {
    const response = await answerWriteRequest(json({ uuid: 'u', node: 'd', group: 'g', tag: 't', value: 5 }), async () => ({ ok: true }));
    expect(response).toEqual({ uuid: 'u', error: 0 });
  });
  it('returns null and says why for a request it cannot answer', async () => {
    const onDropped = vi.fn();
    expect(await answerWriteRequest(Buffer.from('nope'), async () => ({ ok: true }), { onDropped })).toBeNull();
    expect(onDropped).toHaveBeenCalledWith('the request is not JSON');
  });
});
