import { AgentConfigSchema } from './agent-config.js';
import { SECRET_MARKER } from './secret.js';
import { describe, expect, it } from 'vitest';
import { configWithSecrets, newSecrets, secretNeedles } from '../testing/config-with-secrets.js';
import { diffConfigs } from './config-diff.js';

function fixture() {
  const secrets = newSecrets();
  return { secrets, document: AgentConfigSchema.parse(configWithSecrets(secrets)) };
}

describe('diff of two revisions', () => {
  it('says that a secret changed without showing it, and shows other changes', () => {
    const { secrets, document } = fixture();
    const next = structuredClone(document);
    const plant = next.northbound[0]!;
    if (plant.kind !== 'mqtt' || plant.settings.broker === 'fleet') throw new Error('fixture');
    plant.settings.broker.password = 'a-new-password';
    plant.settings.broker.keepaliveSec = 60;
    next.northbound.push({ ...next.northbound[2]!, name: 'hub-2' });
    const changes = diffConfigs(document, next);
    expect(changes).toEqual([
      { path: 'northbound[0].settings.broker.password', change: 'changed', before: SECRET_MARKER, after: SECRET_MARKER, secret: true },
      { path: 'northbound[0].settings.broker.keepaliveSec', change: 'changed', before: 30, after: 60 },
      { path: 'northbound[5]', change: 'added', after: expect.objectContaining({ name: 'hub-2', settings: expect.objectContaining({ auth: expect.objectContaining({ sharedAccessKey: SECRET_MARKER }) }) }) },
    ]);
    const text = JSON.stringify(changes);
    for (const needle of [...secretNeedles(secrets), 'a-new-password']) expect(text).not.toContain(needle);
    expect(diffConfigs(document, structuredClone(document))).toEqual([]);
  });

  it('lists a secret added or removed as such', () => {
    const { document } = fixture();
    const without = structuredClone(document);
    const plant = without.northbound[0]!;
    if (plant.kind !== 'mqtt' || plant.settings.broker === 'fleet') throw new Error('fixture');
    delete plant.settings.broker.tls;
    expect(diffConfigs(without, document)).toEqual([
      { path: 'northbound[0].settings.broker.tls', change: 'added', after: expect.objectContaining({ key: SECRET_MARKER }) },
    ]);
    const noPassword = structuredClone(document);
    const p2 = noPassword.northbound[0]!;
    if (p2.kind !== 'mqtt' || p2.settings.broker === 'fleet') throw new Error('fixture');
    delete p2.settings.broker.password;
    expect(diffConfigs(document, noPassword)).toEqual([{ path: 'northbound[0].settings.broker.password', change: 'removed', before: SECRET_MARKER, secret: true }]);
  });
});

describe('diff of lists of named items', () => {
  it('matches devices and sinks by name: an insertion is one change and order is not compared', () => {
    const { document } = fixture();
    const next = structuredClone(document);
    next.northbound.reverse();
    next.northbound.splice(1, 0, { ...structuredClone(document.northbound[0]!), name: 'plant-2' });
    const changes = diffConfigs(document, next);
    expect(changes).toEqual([{ path: 'northbound[1]', change: 'added', after: expect.objectContaining({ name: 'plant-2' }) }]);
    next.northbound.splice(1, 1);
    const plant = next.northbound.find((s) => s.name === 'plant')!;
    if (plant.kind !== 'mqtt' || plant.settings.broker === 'fleet') throw new Error('fixture');
    plant.settings.broker.password = 'changed';
    expect(diffConfigs(document, next)).toEqual([{ path: 'northbound[4].settings.broker.password', change: 'changed', before: SECRET_MARKER, after: SECRET_MARKER, secret: true }]);
    expect(diffConfigs(next, { ...next, northbound: next.northbound.filter((s) => s.name !== 'aws') })).toEqual([
      { path: 'northbound[3]', change: 'removed', before: expect.objectContaining({ name: 'aws', settings: expect.objectContaining({ privateKey: SECRET_MARKER }) }) },
    ]);
  });
});
