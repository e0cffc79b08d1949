import { z } from 'zod';
import { TagValueSchema, type ErrorCode } from '@edgefleet/protocol';
import type { WriteHandler, WriteRequest } from '../transport/transport.js';

/**
 * Writes from the cloud in Neuron's shape, shared by every sink that takes them (MQTT, AWS IoT).
 *
 * A request, on the sink's write topic:
 *   `{"uuid": "…", "node": "<device>", "group": "<group>", "tag": "<tag>", "value": <v>}`, or
 *   `{"uuid": "…", "node": "<device>", "group": "<group>", "tags": [{"tag": "<tag>", "value": <v>}, …]}`
 * is answered on the write response topic with `{"uuid": "…", "error": 0}` when every tag was
 * written, else `{"uuid": "…", "error": <number>, "message": "<why>"}`. `node` is the device's
 * name, as in the payloads the sinks publish.
 *
 * The error numbers are Neuron's (`neu_err_code_e` in neuron's include/neuron/errcodes.h, 2.x),
 * so a consumer written against Neuron reads them the same way. This is the one place our
 * error codes are mapped to them.
 */
export const NeuronWriteError = {
  /** NEU_ERR_SUCCESS */
  SUCCESS: 0,
  /** NEU_ERR_EINTERNAL: an unexpected failure; the details are in the agent's log. */
  INTERNAL: 1001,
  /** NEU_ERR_BODY_IS_WRONG: the request is not JSON of either shape. */
  BODY_IS_WRONG: 1002,
  /** NEU_ERR_IS_BUSY: too many writes at once. */
  IS_BUSY: 1010,
  /** NEU_ERR_TAG_NOT_EXIST: no such device, group or tag. */
  TAG_NOT_EXIST: 2201,
  /** NEU_ERR_PLUGIN_WRITE_FAILURE: the device did not take the write (no answer, or an error). */
  WRITE_FAILURE: 3001,
  /** NEU_ERR_PLUGIN_TAG_NOT_ALLOW_WRITE: the tag is read-only, or writes are not possible here. */
  TAG_NOT_ALLOW_WRITE: 3004,
  /** NEU_ERR_PLUGIN_TAG_TYPE_MISMATCH: the value does not fit the tag's type. */
  TAG_TYPE_MISMATCH: 3007,
  /** NEU_ERR_PLUGIN_NOT_RUNNING: the device is disabled. */
  NOT_RUNNING: 3010,
} as const;
export type NeuronWriteErrorNumber = (typeof NeuronWriteError)[keyof typeof NeuronWriteError];

/** Our error code (the command path's `write` errors, docs/protocol.md) as Neuron's number. */
export function neuronWriteErrorNumber(code: ErrorCode): NeuronWriteErrorNumber {
  switch (code) {
    case 'TAG_NOT_FOUND':
    case 'NOT_FOUND':
      return NeuronWriteError.TAG_NOT_EXIST;
    case 'TAG_NOT_WRITABLE':
    case 'FORBIDDEN':
    case 'OPERATION_UNSUPPORTED':
    case 'DRIVER_UNAVAILABLE':
      return NeuronWriteError.TAG_NOT_ALLOW_WRITE;
    case 'VALIDATION_FAILED':
      return NeuronWriteError.TAG_TYPE_MISMATCH;
    case 'CONFLICT':
      return NeuronWriteError.NOT_RUNNING;
    case 'DEVICE_ERROR':
    case 'AGENT_TIMEOUT':
      return NeuronWriteError.WRITE_FAILURE;
    case 'RATE_LIMITED':
      return NeuronWriteError.IS_BUSY;
    default:
      return NeuronWriteError.INTERNAL;
  }
}

/** Larger requests are refused unread (AWS IoT Core's own limit is 128 KiB per message). */
export const MAX_WRITE_REQUEST_BYTES = 256 * 1024;
/** Tags per request: bounds the work one message can cause. */
export const MAX_WRITE_TAGS = 1_000;

const UuidSchema = z.string().min(1).max(128);
const NameSchema = z.string().min(1).max(256);

const SingleWriteSchema = z.object({ uuid: UuidSchema, node: NameSchema, group: NameSchema, tag: NameSchema, value: TagValueSchema });
const MultiWriteSchema = z.object({
  uuid: UuidSchema,
  node: NameSchema,
  group: NameSchema,
  tags: z
    .array(z.object({ tag: NameSchema, value: TagValueSchema }))
    .min(1)
    .max(MAX_WRITE_TAGS),
});

/** The answer to a write: `error` 0 when every tag was written. */
export interface NeuronWriteResponse {
  uuid: string;
  error: number;
  message?: string;
}

export type ParsedWriteRequest =
  | { uuid: string; requests: WriteRequest[] }
  /** Not a request we can carry out; answered when it has a uuid (`response`), else only described. */
  | { error: string; response?: NeuronWriteResponse };

/** Parses a request payload; never throws, whatever the bytes. */
export function parseWriteRequest(payload: Buffer): ParsedWriteRequest {
  if (payload.length > MAX_WRITE_REQUEST_BYTES) return { error: `the request has ${payload.length} bytes, more than ${MAX_WRITE_REQUEST_BYTES}` };
  let body: unknown;
  try {
    body = JSON.parse(payload.toString('utf8'));
  } catch {
    return { error: 'the request is not JSON' };
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { error: 'the request is not a JSON object' };
  const rawUuid = (body as Record<string, unknown>).uuid;
  const uuid = UuidSchema.safeParse(rawUuid).success ? (rawUuid as string) : undefined;
  const refuse = (why: string): ParsedWriteRequest => ({
    error: why,
    ...(uuid !== undefined ? { response: { uuid, error: NeuronWriteError.BODY_IS_WRONG, message: why } } : {}),
  });
  if (uuid === undefined) return refuse("the request has no 'uuid' string");
  const hasTag = 'tag' in body;
  const hasTags = 'tags' in body;
  if (hasTag && hasTags) return refuse("the request has both 'tag' and 'tags'");
  if (hasTags) {
    const parsed = MultiWriteSchema.safeParse(body);
    if (!parsed.success) return refuse(describeIssues(parsed.error, body));
    const { node, group, tags } = parsed.data;
    return { uuid, requests: tags.map((t) => ({ device: node, group, tag: t.tag, value: t.value })) };
  }
  const parsed = SingleWriteSchema.safeParse(body);
  if (!parsed.success) return refuse(describeIssues(parsed.error, body));
  const { node, group, tag, value } = parsed.data;
  return { uuid, requests: [{ device: node, group, tag, value }] };
}

/** The first issue, in words a sender can act on: a missing field is named as such. */
function describeIssues(error: z.ZodError, body: object): string {
  const issue = error.issues[0];
  if (!issue) return 'the request is not valid';
  const at = issue.path.length > 0 ? issue.path.map(String).join('.') : 'the request';
  let value: unknown = body;
  for (const key of issue.path) value = typeof value === 'object' && value !== null ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  return value === undefined ? `'${at}' is missing` : `'${at}': ${issue.message}`;
}

/** The response payload as published. */
export function writeResponseJson(response: NeuronWriteResponse): string {
  return JSON.stringify(response.error === NeuronWriteError.SUCCESS ? { uuid: response.uuid, error: 0 } : response);
}

/**
 * Carries out the writes of one request in order, each through `handler` (all of them, even
 * after one failed: they are independent tags). The answer carries the first failure's number
 * and every failure's reason. A handler that throws counts as an internal failure; its error is
 * handed to `onHandlerError` (for the log), never to the sender.
 */
export async function carryOutWrites(uuid: string, requests: readonly WriteRequest[], handler: WriteHandler | undefined, onHandlerError?: (err: unknown, request: WriteRequest) => void): Promise<NeuronWriteResponse> {
  if (!handler) return { uuid, error: NeuronWriteError.TAG_NOT_ALLOW_WRITE, message: 'writes are not enabled on this sink' };
  const failures: { error: number; message: string }[] = [];
  for (const request of requests) {
    try {
      const outcome = await handler(request);
      if (!outcome.ok) failures.push({ error: neuronWriteErrorNumber(outcome.error.code), message: `${request.tag}: ${outcome.error.message}` });
    } catch (err) {
      onHandlerError?.(err, request);
      failures.push({ error: NeuronWriteError.INTERNAL, message: `${request.tag}: the write failed unexpectedly` });
    }
  }
  const first = failures[0];
  if (!first) return { uuid, error: NeuronWriteError.SUCCESS };
  return { uuid, error: first.error, message: failures.map((f) => f.message).join('; ') };
}

/**
 * A whole exchange: parses `payload`, carries out its writes and returns the response to
 * publish, or null when there is nothing to answer (a request without a uuid; `onDropped` says why).
 */
export async function answerWriteRequest(
  payload: Buffer,
  handler: WriteHandler | undefined,
  hooks: { onDropped?: (why: string) => void; onHandlerError?: (err: unknown, request: WriteRequest) => void } = {},
): Promise<NeuronWriteResponse | null> {
  const parsed = parseWriteRequest(payload);
  if ('error' in parsed) {
    if (!parsed.response) hooks.onDropped?.(parsed.error);
    return parsed.response ?? null;
  }
  return carryOutWrites(parsed.uuid, parsed.requests, handler, hooks.onHandlerError);
}
