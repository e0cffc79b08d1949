import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlPlane } from '../app/create-control-plane.js';
import { createPrismaClient, type PrismaClient } from '../database/prisma.js';
import { enrollTestAgent, login, startTestPlane } from '../testing/plane.js';
import { createTestDatabase, type TestDatabase } from '../testing/test-database.js';
import { PresenceSweeper } from './presence-sweeper.service.js';

describe('presence sweeper', () => {
  let db: TestDatabase;
  let plane: ControlPlane;
  let prisma: PrismaClient;
  let api: Awaited<ReturnType<typeof login>>;



  beforeAll(async () => {
    db = await createTestDatabase();
    plane = await startTestPlane(db.url);
    api = await login(plane);
    prisma = createPrismaClient(db.url);
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await plane?.close();
    await db?.drop();
  });

  it('marks agents offline that have been silent for three of their heartbeat intervals (at least 30 s)', async () => {
    const [dead, alive, slow] = [await enrollTestAgent(plane, api, 'dead'), await enrollTestAgent(plane, api, 'alive'), await enrollTestAgent(plane, api, 'slow-beat')];
    const ago = (ms: number) => new Date(Date.now() - ms);
    await prisma.agent.update({ where: { id: dead }, data: { online: true, lastSeenAt: ago(45_000) } });
    await prisma.agent.update({ where: { id: alive }, data: { online: true, lastSeenAt: ago(5_000) } });
    // Heartbeat every 60 s: silent for 2 minutes is still within three intervals.
    await prisma.agent.update({ where: { id: slow }, data: { online: true, lastSeenAt: ago(120_000), heartbeat: { intervalMs: 60_000 } } });

    expect(await plane.app.get(PresenceSweeper).sweep()).toBe(1);

    const view = async (id: string) => (await api<{ online: boolean; syncStatus: string }>('GET', `/api/v1/agents/${id}`)).body;
    expect(await view(dead)).toMatchObject({ online: false, syncStatus: 'OFFLINE' });
    expect((await view(alive)).online).toBe(true);
    expect((await view(slow)).online).toBe(true);
    // Nothing left to do: the sweep is idempotent.
    expect(await plane.app.get(PresenceSweeper).sweep()).toBe(0);
  });
});
