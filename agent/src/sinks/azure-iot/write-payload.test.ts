import { describe, expect, it } from 'vitest';
import type { WriteRequest } from '../transport/transport.js';
import { MAX_TAGS_PER_WRITE, MAX_WRITE_BODY_BYTES, carryOutWrite, parseWriteBody, parseWritePayload, writeStatus } from './write-payload.js';

describe('parseWritePayload', () => {
  it('accepts one tag, with or without a group', () => {
    expect(parseWritePayload({ device: 'plc', group: 'line', tag: 'setpoint', value: 42 })).toEqual({
      ok: true,
      command: { device: 'plc', group: 'line', writes: [{ tag: 'setpoint', value: 42 }] },
    });
    expect(parseWritePayload({ device: 'plc', tag: 'run', value: true })).toEqual({ ok: true, command: { device: 'plc', writes: [{ tag: 'run', value: true }] } });
  });

  it('accepts several tags in order, and every value shape of a tag', () => {
    const parsed = parseWritePayload({
      device: 'plc',
      tags: [
        { tag: 'a', value: 1.5 },
        { tag: 'b', value: 'text' },
        { tag: 'c', value: false },
        { tag: 'd', value: [0, 255] },
      ],
    });
    expect(parsed).toEqual({
      ok: true,
      command: {
        device: 'plc',
        writes: [
          { tag: 'a', value: 1.5 },
          { tag: 'b', value: 'text' },
          { tag: 'c', value: false },
          { tag: 'd', value: [0, 255] },
        ],
      },
    });
  });

  it.each([
    ['null', null, /root/],
    ['an array', [{ device: 'plc', tag: 't', value: 1 }], /root/],
    ['a string', 'write it', /root/],
    ['no device', { tag: 't', value: 1 }, /device/],
    ['no value', { device: 'plc', tag: 't' }, /value: is required/],
    ['a null value', { device: 'plc', tag: 't', value: null }, /value/],
    ['an object value', { device: 'plc', tag: 't', value: { x: 1 } }, /value/],
    ['an unknown key', { device: 'plc', tag: 't', value: 1, force: true }, /force/],
    ['a tag name with a slash', { device: 'plc', tag: 'a/b', value: 1 }, /tag/],
    ['a non-string device', { device: 7, tag: 't', value: 1 }, /device/],
    ['empty tags', { device: 'plc', tags: [] }, /tags/],
    ['tags that are not a list', { device: 'plc', tags: { tag: 't', value: 1 } }, /tags/],
    ['a tags entry without value', { device: 'plc', tags: [{ tag: 't' }] }, /tags\[0\]\.value/],
    ['both shapes at once', { device: 'plc', tag: 't', value: 1, tags: [{ tag: 'u', value: 2 }] }, /tag/],
    ['octets out of range', { device: 'plc', tag: 't', value: [256] }, /value/],
  ])('refuses %s with VALIDATION_FAILED naming the path', (_name, payload, pattern) => {
    const parsed = parseWritePayload(payload);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.error.code).toBe('VALIDATION_FAILED');
    expect(parsed.error.message).toMatch(pattern);
    expect(parsed.error.issues?.length).toBeGreaterThan(0);
  });

  it(`refuses more than ${MAX_TAGS_PER_WRITE} tags`, () => {
    const tags = Array.from({ length: MAX_TAGS_PER_WRITE + 1 }, (_, i) => ({ tag: `t${i}`, value: i }));
    expect(parseWritePayload({ device: 'plc', tags }).ok).toBe(false);
  });
});

describe('parseWriteBody', () => {
  it('decodes JSON and validates it', () => {
    expect(parseWriteBody(Buffer.from('{"device":"plc","tag":"t","value":3}'))).toMatchObject({ ok: true, command: { writes: [{ tag: 't', value: 3 }] } });
  });

  it('refuses text that is not JSON, and an oversized body before parsing it', () => {
    expect(parseWriteBody(Buffer.from('{"device":'))).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED', message: expect.stringMatching(/not valid JSON/) } });
    expect(parseWriteBody(Buffer.from([0xff, 0xfe, 0x00]))).toMatchObject({ ok: false });
    expect(parseWriteBody(Buffer.alloc(MAX_WRITE_BODY_BYTES + 1, 0x20))).toMatchObject({ ok: false, error: { message: expect.stringMatching(/exceeds/) } });
  });
});

describe('carryOutWrite', () => {
  it('calls the handler once per tag in order and collects each outcome; a throwing handler fails only its tag', async () => {
    const seen: WriteRequest[] = [];
    const results = await carryOutWrite(
      {
        device: 'plc',
        group: 'line',
        writes: [
          { tag: 'a', value: 1 },
          { tag: 'b', value: 2 },
          { tag: 'c', value: 3 },
        ],
      },
      async (request) => {
        seen.push(request);
        if (request.tag === 'b') return { ok: false, error: { code: 'TAG_NOT_WRITABLE', message: 'b is read-only' } };
        if (request.tag === 'c') throw new Error('driver fell over');
        return { ok: true };
      },
    );
    expect(seen).toEqual([
      { device: 'plc', group: 'line', tag: 'a', value: 1 },
      { device: 'plc', group: 'line', tag: 'b', value: 2 },
      { device: 'plc', group: 'line', tag: 'c', value: 3 },
    ]);
    expect(results).toEqual([
      { tag: 'a', ok: true },
      { tag: 'b', ok: false, error: { code: 'TAG_NOT_WRITABLE', message: 'b is read-only' } },
      { tag: 'c', ok: false, error: { code: 'INTERNAL', message: 'driver fell over' } },
    ]);
    expect(writeStatus(results)).toBe(207);
    expect(writeStatus(results.slice(0, 1))).toBe(200);
  });

  it('leaves the group out of the request when the write named none', async () => {
    const seen: WriteRequest[] = [];
    await carryOutWrite({ device: 'plc', writes: [{ tag: 'a', value: true }] }, async (request) => {
      seen.push(request);
      return { ok: true };
    });
    expect(seen).toEqual([{ device: 'plc', tag: 'a', value: true }]);
    expect('group' in seen[0]!).toBe(false);
  });
});
