import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';

/** sha256 (hex) of the canonical JSON of a config document. */
export function configDigest(document: unknown): string {
  return createHash('sha256').update(canonicalJson(document)).digest('hex');
}
