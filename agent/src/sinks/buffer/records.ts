/**
 * The on-disk layout of one buffered message, in two records written in the same transaction:
 *
 * - message record (`messages` db, key = seq): f64 enqueuedAt | u32 topic byte length | topic (UTF-8) | payload
 * - index record (`index` db, key = seq): f64 enqueuedAt | u32 size, where size = topic bytes + payload bytes
 *
 * The index exists so acking, dropping and recounting after a restart read a few bytes per message
 * instead of whole payloads. Fixed little-endian binary keeps encoding off the hot path (no msgpack).
 */

const MESSAGE_HEADER = 12;
/** Message record bytes beyond topic + payload. */
export const RECORD_OVERHEAD = MESSAGE_HEADER;
export const INDEX_RECORD_SIZE = 12;

export interface IndexEntry {
  seq: number;
  enqueuedAt: number;
  /** Topic plus payload bytes: what counts against `maxBytes`. */
  size: number;
}

export interface MessageRecord {
  enqueuedAt: number;
  topic: string;
  payload: Buffer;
  /** Topic plus payload bytes. */
  size: number;
}

/** `size` is what the message counts against `maxBytes`: topic plus payload, not the store's overhead. */
export function encodeMessage(enqueuedAt: number, topic: string, payload: Buffer): { record: Buffer; size: number } {
  const topicBytes = Buffer.byteLength(topic, 'utf8');
  const size = topicBytes + payload.length;
  // Not a shared scratch buffer: the store keeps a reference until its writer thread has copied it.
  const record = Buffer.allocUnsafe(MESSAGE_HEADER + size);
  record.writeDoubleLE(enqueuedAt, 0);
  record.writeUInt32LE(topicBytes, 8);
  record.write(topic, MESSAGE_HEADER, topicBytes, 'utf8');
  payload.copy(record, MESSAGE_HEADER + topicBytes);
  return { record, size };
}

/** Returns undefined for a record too short to be ours, so a damaged entry is skipped, not thrown on. */
export function decodeMessage(record: Buffer): MessageRecord | undefined {
  if (record.length < MESSAGE_HEADER) return undefined;
  const topicBytes = record.readUInt32LE(8);
  if (MESSAGE_HEADER + topicBytes > record.length) return undefined;
  return {
    enqueuedAt: record.readDoubleLE(0),
    topic: record.toString('utf8', MESSAGE_HEADER, MESSAGE_HEADER + topicBytes),
    // A view, not a copy: the store already handed us a private copy of the record.
    payload: record.subarray(MESSAGE_HEADER + topicBytes),
    size: record.length - MESSAGE_HEADER,
  };
}

export function encodeIndex(enqueuedAt: number, size: number): Buffer {
  const record = Buffer.allocUnsafe(INDEX_RECORD_SIZE);
  record.writeDoubleLE(enqueuedAt, 0);
  record.writeUInt32LE(size, 8);
  return record;
}

export function decodeIndex(seq: number, record: Buffer): IndexEntry | undefined {
  if (record.length < INDEX_RECORD_SIZE) return undefined;
  return { seq, enqueuedAt: record.readDoubleLE(0), size: record.readUInt32LE(8) };
}
