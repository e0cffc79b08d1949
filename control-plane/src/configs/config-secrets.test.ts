import { randomBytes } from 'node:crypto';
import { AgentConfigSchema, listConfigSecrets, redactConfigSecrets } from '@edgefleet/protocol';
import { describe, expect, it, vi } from 'vitest';
import { AppError } from '../common/errors/app-error.js';
import { configWithSecrets, newSecrets, secretNeedles } from '../../../protocol/src/testing/config-with-secrets.js';
import { isSealedSecret, keepsStoredSecrets, restoreKeptSecrets, sealConfigSecrets, unsealConfigSecrets, type SecretScope } from './config-secrets.js';

const masterKey = randomBytes(32);
const scope: SecretScope = { revision: 'a'.repeat(64) };

function fixture() {
  const secrets = newSecrets();
  return { secrets, document: AgentConfigSchema.parse(configWithSecrets(secrets)) };
}

describe('sealing the secrets of a stored config', () => {
  it('replaces every secret by a sealed value and opens them again', () => {
    const { secrets, document } = fixture();
    const sealed = sealConfigSecrets(masterKey, document, scope);
    const text = JSON.stringify(sealed);
    for (const needle of secretNeedles(secrets)) expect(text).not.toContain(needle);
    const stored = listConfigSecrets(sealed);
    expect(stored).toHaveLength(8);
    expect(stored.every((s) => isSealedSecret(s.value))).toBe(true);
    // Everything else stays readable.
    expect((sealed as typeof document).northbound[0]).toMatchObject({ name: 'plant', settings: { broker: { username: 'edge', url: 'mqtts://broker.plant:8883' } } });
    expect(unsealConfigSecrets(masterKey, sealed, scope)).toEqual(document);
  });

  it('uses a fresh IV each time', () => {
    const { document } = fixture();
    expect(JSON.stringify(sealConfigSecrets(masterKey, document, scope))).not.toBe(JSON.stringify(sealConfigSecrets(masterKey, document, scope)));
  });

  it('does not open with another master key, in another document, or at another field', () => {
    const { document } = fixture();
    const sealed = sealConfigSecrets(masterKey, document, scope) as typeof document;
    expect(() => unsealConfigSecrets(randomBytes(32), sealed, scope)).toThrow(/devices\[0\]\.settings\.userIdentity\.password.*wrong master key/);
    expect(() => unsealConfigSecrets(masterKey, sealed, { revision: 'b'.repeat(64) })).toThrow(/could not be opened/);
    expect(() => unsealConfigSecrets(masterKey, sealed, { fleetTemplate: 'a'.repeat(64) })).toThrow(/could not be opened/);
    // A sealed value moved to another secret field of the same document.
    const swapped = structuredClone(sealed);
    const sas = swapped.northbound[2]!.settings as { auth: { sharedAccessKey: unknown } };
    const mqtt = swapped.northbound[0]!.settings as { broker: { password: unknown } };
    sas.auth.sharedAccessKey = mqtt.broker.password;
    expect(() => unsealConfigSecrets(masterKey, swapped, scope)).toThrow(/northbound\[2\]\.settings\.auth\.sharedAccessKey/);
  });

  it('loads rows stored before secrets were sealed: plain secrets pass through', () => {
    const { document } = fixture();
    expect(unsealConfigSecrets(masterKey, document, scope)).toEqual(document);
  });
});

describe('keeping stored secrets sent back as the marker', () => {
  it('puts back the stored secret of the same device or sink, even when the lists were reordered', () => {
    const { secrets, document } = fixture();
    const shown = redactConfigSecrets(document) as typeof document;
    const edited = { ...shown, northbound: [...shown.northbound].reverse() };
    expect(keepsStoredSecrets(edited)).toBe(true);
    const restored = restoreKeptSecrets(edited, () => document);
    expect(AgentConfigSchema.parse(restored)).toEqual({ ...document, northbound: [...document.northbound].reverse() });
    expect(JSON.stringify(restored)).toContain(secrets.mqttPassword);
  });

  it('takes a new secret as sent and reads nothing stored when there is no marker', () => {
    const { document } = fixture();
    const previous = vi.fn(() => document);
    expect(keepsStoredSecrets(document)).toBe(false);
    expect(restoreKeptSecrets(document, previous)).toBe(document);
    expect(previous).not.toHaveBeenCalled();
  });

  it('refuses a marker where nothing is stored, naming the field', () => {
    const { document } = fixture();
    const shown = redactConfigSecrets(document) as typeof document;
    // The sink renamed: its marker no longer names a stored secret.
    const renamed = { ...shown, northbound: shown.northbound.map((s) => (s.name === 'hub-sas' ? { ...s, name: 'hub-new' } : s)) };
    let error: unknown;
    try {
      restoreKeptSecrets(renamed, () => document);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'VALIDATION_FAILED', issues: [{ path: 'northbound[2].settings.auth.sharedAccessKey', message: expect.stringContaining('no secret here to keep') }] });
    expect(() => restoreKeptSecrets(shown, () => null)).toThrow(/devices\[0\]\.settings\.userIdentity\.password: is '\*{8}'/);
  });
});
