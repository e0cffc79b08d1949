import mqtt, { type MqttClient } from 'mqtt';
import pg from 'pg';
import { AgentHealthHistorySchema, topics, type AgentHealthHistory, type HeartbeatMessage } from '@edgefleet/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlPlane } from '../app/create-control-plane.js';
import { SETTINGS, type Settings } from '../config/settings.js';
import { IngestionService } from '../fleet-broker/ingestion.service.js';
import { makeCsr } from '../testing/csr.js';
import { eventually } from '../testing/eventually.js';
import { apiClient } from '../testing/http.js';
import { startPlaneWithBroker, type PlaneWithBroker } from '../testing/plane-with-broker.js';
import { HEALTH_HISTORY_MS, HEALTH_RETENTION_MARGIN_MS, HealthSampleRetention } from './health-retention.service.js';
import { HealthSampleRepository } from './health-sample.repository.js';
import { HealthSampler } from './health-sampler.service.js';

const SAMPLE_MS = 30_000;
const MINUTE = 60_000;

function heartbeat(over: Partial<HeartbeatMessage> = {}): HeartbeatMessage {
  return {
    at: new Date().toISOString(),
    uptimeSec: 120.5,
    cpuPercent: 3.25,
    rssBytes: 5_000_000_000,
    heapUsedBytes: 40_000_000,
    appliedRevision: 1,
    intervalMs: 10_000,
    devices: [
      {
        name: 'press',
        driver: 'modbus',
        link: 'connected',
        polls: 100,
        pollErrors: 2,
        tagErrors: 1,
        lastPollAt: new Date().toISOString(),
        lastError: 'timeout',
        details: { requestsPerSecond: 9 },
      },
    ],
    sinks: [
      { name: 'plant', kind: 'mqtt', link: 'disconnected', published: 10, errors: 1, dropped: 3, bufferDepth: 42, bufferOldestAgeMs: 1500, bufferBytes: 9000, lastError: 'refused' },
      { name: 'cloud', kind: 'aws-iot', link: 'connected', published: 5, errors: 0, dropped: 0, bufferDepth: 0, bufferOldestAgeMs: 0 },
    ],
    ...over,
  };
}

describe('agent health history', () => {
  let env: PlaneWithBroker;
  let plane: ControlPlane;
  let agentId: string;
  let client: MqttClient | undefined;
  let db: pg.Client;

  const history = async (id: string, query = '') => {
    const res = await env.api<AgentHealthHistory>('GET', `/api/v1/agents/${id}/health${query}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return AgentHealthHistorySchema.parse(res.body);
  };
  const sampleTimes = async (id: string) =>
    (await db.query<{ at: Date }>(`SELECT "at" FROM "AgentHealthSample" WHERE "agentId" = $1 ORDER BY "at"`, [id])).rows.map((r) => r.at.getTime());

  async function enroll(hardwareId: string): Promise<{ agentId: string; certificate: string; keyPem: string }> {
    const tok = await env.api<{ token: string }>('POST', `/api/v1/fleets/${env.fleetId}/enrollment-tokens`, {});
    const { csrPem, keyPem } = await makeCsr();
    const res = await apiClient(plane.url)<{ agentId: string; certificate: string }>('POST', '/api/v1/enrollments', { token: tok.body.token, hardwareId, csr: csrPem });
    expect(res.status).toBe(201);
    return { ...res.body, keyPem };
  }

  beforeAll(async () => {
    env = await startPlaneWithBroker({ healthSampleMs: SAMPLE_MS });
    plane = env.plane;
    db = new pg.Client({ connectionString: env.db.url });
    await db.connect();
    const a = await enroll('health-1');
    agentId = a.agentId;
    client = mqtt.connect(env.broker.url, { clientId: a.agentId, protocolVersion: 4, ca: [env.ca.certPem], cert: a.certificate, key: a.keyPem, reconnectPeriod: 200 });
    await new Promise<void>((resolve, reject) => {
      client?.once('connect', () => resolve());
      client?.once('error', reject);
    });
  });
  afterAll(async () => {
    await client?.endAsync(true);
    await db?.end();
    await env?.close();
  });

  it('keeps the first heartbeat received as a sample, with the fields a trend chart needs', async () => {
    const hb = heartbeat();
    await client!.publishAsync(topics.heartbeat(agentId), JSON.stringify(hb), { qos: 1 });
    const h = await eventually(async () => {
      const got = await history(agentId);
      expect(got.items).toHaveLength(1);
      return got;
    });
    expect(h.agentId).toBe(agentId);
    expect(h.sampleMs).toBe(SAMPLE_MS);
    const item = h.items[0]!;
    expect(item).toMatchObject({ cpuPercent: 3.25, rssBytes: 5_000_000_000, heapUsedBytes: 40_000_000, uptimeSec: 120.5 });
    expect(Math.abs(Date.parse(item.at) - Date.now())).toBeLessThan(MINUTE);
    expect(item.devices).toEqual([{ name: 'press', link: 'connected', polls: 100, pollErrors: 2, tagErrors: 1, lastError: 'timeout' }]);
    expect(item.sinks).toEqual([
      { name: 'plant', link: 'disconnected', bufferDepth: 42, bufferOldestAgeMs: 1500, bufferBytes: 9000, dropped: 3 },
      { name: 'cloud', link: 'connected', bufferDepth: 0, bufferOldestAgeMs: 0, bufferBytes: null, dropped: 0 },
    ]);
  });

  it('keeps no second sample within the period, while the agent row still takes every heartbeat', async () => {
    const next = heartbeat({ uptimeSec: 130.5, cpuPercent: 7 });
    await client!.publishAsync(topics.heartbeat(agentId), JSON.stringify(next), { qos: 1 });
    // An agent's messages are handled in order: once the row shows this heartbeat, its sample decision is made.
    await eventually(async () => expect((await env.api<{ heartbeat: HeartbeatMessage }>('GET', `/api/v1/agents/${agentId}`)).body.heartbeat).toEqual(next));
    await plane.app.get(IngestionService).drain();
    expect((await history(agentId)).items.map((i) => i.uptimeSec)).toEqual([120.5]);
  });

  it('samples at most once per period, given heartbeats every 10 s', async () => {
    const sampler = plane.app.get(HealthSampler);
    const id = (await enroll('health-2')).agentId;
    const t0 = Date.now() - 10 * MINUTE;
    const stored: number[] = [];
    for (let s = 0; s <= 120; s += 10) {
      const at = new Date(t0 + s * 1000);
      if (await sampler.offer(id, heartbeat({ uptimeSec: s }), at)) stored.push(s);
    }
    expect(stored).toEqual([0, 30, 60, 90, 120]);
    expect((await history(id)).items.map((i) => i.uptimeSec)).toEqual(stored);
  });

  it('keeps sampling when the clock went back', async () => {
    const sampler = plane.app.get(HealthSampler);
    const id = (await enroll('health-7')).agentId;
    const t0 = Date.now() - 5 * MINUTE;
    expect(await sampler.offer(id, heartbeat(), new Date(t0))).toBe(true);
    expect(await sampler.offer(id, heartbeat(), new Date(t0 - 2 * MINUTE))).toBe(true);
    expect(await sampler.offer(id, heartbeat(), new Date(t0 - 2 * MINUTE + 10_000))).toBe(false);
  });

  it('with two replicas taking turns, keeps about one sample per period and never skips one', async () => {
    // A replica is its own sampler (its own memory of what it stored) on the same database.
    const a = plane.app.get(HealthSampler);
    const b = new HealthSampler(plane.app.get(HealthSampleRepository), plane.app.get<Settings>(SETTINGS));
    const id = (await enroll('health-3')).agentId;
    const t0 = Date.now() - 20 * MINUTE;
    // A shared subscription hands heartbeats (every 10 s) to either replica.
    const turns: [HealthSampler, number][] = [[a, 0], [b, 10], [b, 20], [a, 30], [b, 40], [b, 50], [b, 60], [a, 70], [a, 80], [a, 90], [b, 100], [a, 110], [b, 120]];
    for (const [replicaSampler, s] of turns) await replicaSampler.offer(id, heartbeat({ uptimeSec: s }), new Date(t0 + s * 1000));
    const times = (await sampleTimes(id)).map((t) => (t - t0) / 1000);
    expect(times).toEqual([0, 30, 60, 90, 120]);
  });

  it('answers the last N minutes, oldest first', async () => {
    const sampler = plane.app.get(HealthSampler);
    const id = (await enroll('health-4')).agentId;
    const now = Date.now();
    for (const ago of [50, 20, 4, 1]) await sampler.offer(id, heartbeat({ uptimeSec: ago }), new Date(now - ago * MINUTE));
    expect((await history(id)).items.map((i) => i.uptimeSec)).toEqual([50, 20, 4, 1]);
    expect((await history(id, '?minutes=60')).items.map((i) => i.uptimeSec)).toEqual([50, 20, 4, 1]);
    expect((await history(id, '?minutes=5')).items.map((i) => i.uptimeSec)).toEqual([4, 1]);
    expect((await history(id, '?minutes=1')).items).toEqual([]);
  });

  it('deletes samples older than the hour plus the margin', async () => {
    const sampler = plane.app.get(HealthSampler);
    const id = (await enroll('health-5')).agentId;
    const now = Date.now();
    const keep = HEALTH_HISTORY_MS + HEALTH_RETENTION_MARGIN_MS - MINUTE;
    const drop = HEALTH_HISTORY_MS + HEALTH_RETENTION_MARGIN_MS + MINUTE;
    for (const ago of [drop + 5 * MINUTE, drop, keep, 30 * MINUTE]) await sampler.offer(id, heartbeat({ uptimeSec: ago }), new Date(now - ago));
    expect(await sampleTimes(id)).toHaveLength(4);
    expect(await plane.app.get(HealthSampleRetention).sweep()).toBeGreaterThanOrEqual(2);
    expect((await sampleTimes(id)).map((t) => Math.round((now - t) / MINUTE))).toEqual([keep / MINUTE, 30]);
  });

  it('deletes an agent with its samples', async () => {
    const id = (await enroll('health-6')).agentId;
    await plane.app.get(HealthSampler).offer(id, heartbeat(), new Date());
    expect(await sampleTimes(id)).toHaveLength(1);
    expect((await env.api('DELETE', `/api/v1/agents/${id}`)).status).toBe(204);
    expect(await sampleTimes(id)).toHaveLength(0);
    expect((await env.api('GET', `/api/v1/agents/${id}/health`)).status).toBe(404);
  });

  it('refuses bad minutes with 400, an unknown agent with 404, and callers without a session with 401', async () => {
    for (const minutes of ['0', '61', 'ten', '1.5']) {
      const res = await env.api<{ code: string; issues: { path: string }[] }>('GET', `/api/v1/agents/${agentId}/health?minutes=${minutes}`);
      expect(res.status, minutes).toBe(400);
      expect(res.body.issues.map((i) => i.path)).toEqual(['minutes']);
    }
    const unknown = await env.api<{ code: string }>('GET', '/api/v1/agents/00000000-0000-4000-8000-000000000000/health');
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('NOT_FOUND');
    expect((await env.api('GET', '/api/v1/agents/not-a-uuid/health')).status).toBe(404);
    expect((await apiClient(plane.url)('GET', `/api/v1/agents/${agentId}/health`)).status).toBe(401);
  });
});
