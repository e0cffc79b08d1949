import { z } from 'zod';
import { ErrorCode, NameSchema, TagValueSchema, describeIssues, parseWith, type TagValue, type ValidationIssue, type WireError } from '@edgefleet/protocol';
import { errorMessage } from '../../util/errors.js';
import type { WriteHandler, WriteOutcome } from '../transport/transport.js';

/**
 * The body of a write sent to the agent through IoT Hub, as the direct method `write` or as a
 * cloud-to-device message (both carry the same JSON):
 *
 *   {"device": "plc", "group": "line", "tag": "setpoint", "value": 42}
 *   {"device": "plc", "group": "line", "tags": [{"tag": "setpoint", "value": 42}, {"tag": "run", "value": true}]}
 *
 * `group` is optional (the tag name is then looked up in the device's groups). Everything arrives
 * from the network, so nothing here trusts its input.
 */

/** More tags than this in one request is refused: a write is a command, not a bulk transfer. */
export const MAX_TAGS_PER_WRITE = 1_000;
/**
 * Larger bodies are refused before parsing. IoT Hub itself caps direct method payloads at 128 KB
 * and C2D messages at 64 KB (https://learn.microsoft.com/azure/iot-hub/iot-hub-devguide-quotas-throttling).
 */
export const MAX_WRITE_BODY_BYTES = 256 * 1024;

const ValueSchema = z.union(TagValueSchema.options, {
  error: (issue) => (issue.input === undefined ? 'is required' : issue.code === 'invalid_union' ? 'must be a number, a boolean, a string or an array of octets' : undefined),
});
const TagWriteSchema = z.object({ tag: NameSchema, value: ValueSchema }).strict();
const SingleWriteSchema = z.object({ device: NameSchema, group: NameSchema.optional(), tag: NameSchema, value: ValueSchema }).strict();
const MultiWriteSchema = z
  .object({ device: NameSchema, group: NameSchema.optional(), tags: z.array(TagWriteSchema).min(1).max(MAX_TAGS_PER_WRITE) })
  .strict();

export interface TagWrite {
  tag: string;
  value: TagValue;
}

/** A parsed write request: one or more tags of one device. */
export interface WriteCommand {
  device: string;
  group?: string;
  writes: TagWrite[];
}

export type ParsedWrite = { ok: true; command: WriteCommand } | { ok: false; error: WireError };

function malformed(issues: ValidationIssue[]): ParsedWrite {
  return { ok: false, error: { code: ErrorCode.VALIDATION_FAILED, message: `malformed write: ${describeIssues(issues)}`, issues } };
}

/** Validates a decoded JSON body. */
export function parseWritePayload(payload: unknown): ParsedWrite {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    return malformed([{ path: '(root)', message: 'must be an object with device, tag and value, or device and tags' }]);
  }
  // Pick the shape by its key, so a mistake is reported against the shape that was meant.
  if ('tags' in payload) {
    const parsed = parseWith(MultiWriteSchema, payload);
    if (!parsed.ok) return malformed(parsed.issues);
    const { device, group, tags } = parsed.value;
    return { ok: true, command: { device, ...(group === undefined ? {} : { group }), writes: tags.map(({ tag, value }) => ({ tag, value })) } };
  }
  const parsed = parseWith(SingleWriteSchema, payload);
  if (!parsed.ok) return malformed(parsed.issues);
  const { device, group, tag, value } = parsed.value;
  return { ok: true, command: { device, ...(group === undefined ? {} : { group }), writes: [{ tag, value }] } };
}

/** Decodes and validates a raw body (a C2D message). */
export function parseWriteBody(body: Uint8Array): ParsedWrite {
  if (body.byteLength > MAX_WRITE_BODY_BYTES) {
    return malformed([{ path: '(root)', message: `the body of ${body.byteLength} bytes exceeds ${MAX_WRITE_BODY_BYTES}` }]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch (err) {
    return malformed([{ path: '(root)', message: `not valid JSON: ${errorMessage(err)}` }]);
  }
  return parseWritePayload(raw);
}

export type TagWriteResult = { tag: string; ok: true } | { tag: string; ok: false; error: WireError };

/**
 * Carries out the writes one after another, in the order given (a later write may depend on an
 * earlier one, e.g. a setpoint before a start bit). A handler that throws fails that tag only.
 */
export async function carryOutWrite(command: WriteCommand, handler: WriteHandler): Promise<TagWriteResult[]> {
  const results: TagWriteResult[] = [];
  for (const { tag, value } of command.writes) {
    let outcome: WriteOutcome;
    try {
      outcome = await handler({ device: command.device, ...(command.group === undefined ? {} : { group: command.group }), tag, value });
    } catch (err) {
      outcome = { ok: false, error: { code: ErrorCode.INTERNAL, message: errorMessage(err) } };
    }
    results.push(outcome.ok ? { tag, ok: true } : { tag, ok: false, error: outcome.error });
  }
  return results;
}

/** The direct method answer: 200 when every tag was written, 207 (multi-status) when some were not. */
export function writeStatus(results: readonly TagWriteResult[]): 200 | 207 {
  return results.every((r) => r.ok) ? 200 : 207;
}
