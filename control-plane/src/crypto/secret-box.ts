import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1';

/**
 * AES-256-GCM for secrets at rest (the CA key). Format: `v1.{iv}.{tag}.{ciphertext}` (base64url);
 * a 96-bit random IV per message (NIST SP 800-38D §8.2.2). `aad` binds a ciphertext to its row,
 * so one secret cannot be swapped in for another.
 */
export function encryptSecret(masterKey: Buffer, plaintext: string, aad: string): string {
  assertKey(masterKey);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', masterKey, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [VERSION, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ct.toString('base64url')].join('.');
}

export function decryptSecret(masterKey: Buffer, sealed: string, aad: string): string {
  assertKey(masterKey);
  const [version, iv, tag, ct] = sealed.split('.');
  if (version !== VERSION || !iv || !tag || ct === undefined) throw new Error('unrecognised secret format');
  const decipher = createDecipheriv('aes-256-gcm', masterKey, Buffer.from(iv, 'base64url'));
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  try {
    return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    throw new Error('the secret could not be decrypted: wrong master key or tampered data');
  }
}

function assertKey(key: Buffer): void {
  if (key.length !== 32) throw new Error(`the master key must be 32 bytes, got ${key.length}`);
}
