import { SECRET_MARKER, describeIssues, listConfigSecrets, mapConfigSecrets, type ValidationIssue } from '@edgefleet/protocol';
import { AppError } from '../common/errors/app-error.js';
import { decryptSecret, encryptSecret } from '../crypto/secret-box.js';

/**
 * Secrets of stored configs are sealed one by one, in place: each secret string of the document
 * becomes `{"$sealed": "v1.{iv}.{tag}.{ciphertext}"}` (AES-256-GCM with the master key,
 * `secret-box.ts`), and the rest of the document stays readable JSON. A sealed value is an object
 * where the schema wants a string, so it can never be mistaken for a plaintext secret, and a
 * document that somehow skipped unsealing fails validation instead of reaching an agent.
 *
 * Rows written before secrets were sealed hold plain strings there: unsealing passes them through,
 * so they load as they are (and the API redacts them like any other secret).
 */
export interface SealedSecret {
  $sealed: string;
}

export function isSealedSecret(value: unknown): value is SealedSecret {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 1 && typeof (value as { $sealed?: unknown }).$sealed === 'string';
}

/**
 * The stored document a secret belongs to; with the secret's location it is the ciphertext's
 * associated data, so a sealed value copied to another field or another document does not open.
 * A revision is named by its digest (over the plaintext document): every revision with that
 * digest holds the very same document, so one sealed document serves a fleet-wide rollout and a
 * rollback. A fleet's template has no digest of its own and is named by the fleet.
 */
export type SecretScope = { revision: string } | { fleetTemplate: string };

function associatedData(scope: SecretScope, location: string): string {
  const owner = 'revision' in scope ? `revision/${scope.revision}` : `fleet-template/${scope.fleetTemplate}`;
  return `edgefleet/config-secret/${owner}/${location}`;
}

/** The document with every secret sealed. Takes a plaintext document (validated, normalized). */
export function sealConfigSecrets(masterKey: Buffer, document: unknown, scope: SecretScope): unknown {
  return mapConfigSecrets(document, ({ value, location }) => {
    if (typeof value !== 'string') throw new Error(`the secret at ${location} is not a string; only plaintext documents are sealed`);
    const sealed: SealedSecret = { $sealed: encryptSecret(masterKey, value, associatedData(scope, location)) };
    return sealed;
  });
}

/** The plaintext document of a stored one: sealed secrets opened, plain ones (older rows) as they are. */
export function unsealConfigSecrets(masterKey: Buffer, document: unknown, scope: SecretScope): unknown {
  return mapConfigSecrets(document, ({ value, location }) => {
    if (!isSealedSecret(value)) return value;
    try {
      return decryptSecret(masterKey, value.$sealed, associatedData(scope, location));
    } catch (err) {
      throw new Error(`the secret at ${location} of a stored config could not be opened: ${(err as Error).message}`);
    }
  });
}

/**
 * Puts back the secrets a client sent as `SECRET_MARKER` (a GET → edit → PUT round trip): each
 * marker at a secret field takes the secret stored at the same field of `previous()` (the desired
 * config, plaintext). Fields are matched by the names of the devices and sinks they belong to, not
 * by list position, so reordering or inserting sinks never hands one sink's password to another.
 * A marker where nothing was stored is a 400 naming the field. `previous` is called only when a
 * marker is present.
 */
export function restoreKeptSecrets(input: unknown, previous: () => unknown): unknown {
  const markers = markersOf(input);
  if (markers.length === 0) return input;
  const stored = new Map(listConfigSecrets(previous()).map((s) => [s.key, s.value]));
  const issues: ValidationIssue[] = markers
    .filter((m) => typeof stored.get(m.key) !== 'string')
    .map((m) => ({ path: m.location, message: `is '${SECRET_MARKER}' (keep the stored secret), but the current config has no secret here to keep; send the secret itself` }));
  if (issues.length > 0) throw new AppError('VALIDATION_FAILED', describeIssues(issues), issues);
  return mapConfigSecrets(input, (s) => (s.value === SECRET_MARKER ? stored.get(s.key) : s.value));
}

/** Whether a document sent to the API asks to keep any stored secret (carries the marker at a secret field). */
export function keepsStoredSecrets(input: unknown): boolean {
  return markersOf(input).length > 0;
}

const markersOf = (input: unknown) => listConfigSecrets(input).filter((s) => s.value === SECRET_MARKER);
