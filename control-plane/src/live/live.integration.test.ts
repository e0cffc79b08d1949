import mqtt, { type MqttClient } from 'mqtt';
import { CommandRequestSchema, topics, type CommandRequest } from '@edgefleet/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlPlane } from '../app/create-control-plane.js';
import type { EmbeddedBroker } from '../embedded/broker/index.js';
import type { CertificateAuthority } from '../pki/certificate-authority.js';
import { makeCsr } from '../testing/csr.js';
import { eventually } from '../testing/eventually.js';
import { apiClient } from '../testing/http.js';
import type { login } from '../testing/plane.js';
import { startPlaneWithBroker, type PlaneWithBroker } from '../testing/plane-with-broker.js';
import { COMMAND_TIMEOUTS } from './command-timeouts.js';

type Api = Awaited<ReturnType<typeof login>>;
interface ApiError { statusCode: number; code: string; message: string; issues?: { path: string; message: string }[] }
type Answer = { ok: true; result: unknown } | { ok: false; error: { code: string; message: string; issues?: { path: string; message: string }[] } } | 'silence';

const now = () => new Date().toISOString();

const modbusDevice = (address: string) => ({
  name: 'press-1',
  driver: 'modbus-tcp',
  settings: { host: '10.0.0.5' },
  groups: [{ name: 'g', intervalMs: 1000, tags: [{ name: 'ok', address: '1!400001', type: 'int16' }, { name: 'pressure', address, type: 'float32' }] }],
});
const opcuaDevice = { name: 'oven', driver: 'opcua', settings: { endpointUrl: 'opc.tcp://oven:4840' }, groups: [] };

/**
 * The live routes against a real plane, database and mTLS broker, with the test playing the
 * agent: it sees exactly what the plane sends and answers as it likes (or not at all).
 */
describe('live command routes', () => {
  let env: PlaneWithBroker | undefined;
  let ca: CertificateAuthority;
  let broker: EmbeddedBroker;
  let plane: ControlPlane;
  let api: Api;
  let fleetId: string;
  const clients: MqttClient[] = [];

  /** An enrolled agent connected to the broker that records commands and answers with `answer`. */
  async function fakeAgent(hardwareId: string, answer: (req: CommandRequest) => Answer) {
    const tok = await api<{ token: string }>('POST', `/api/v1/fleets/${fleetId}/enrollment-tokens`, {});
    const { csrPem, keyPem } = await makeCsr();
    const enrolled = await apiClient(plane.url)<{ agentId: string; certificate: string }>('POST', '/api/v1/enrollments', { token: tok.body.token, hardwareId, csr: csrPem });
    expect(enrolled.status).toBe(201);
    const agentId = enrolled.body.agentId;
    const client = mqtt.connect(broker.url, { clientId: agentId, protocolVersion: 4, ca: [ca.certPem], cert: enrolled.body.certificate, key: keyPem, reconnectPeriod: 200 });
    clients.push(client);
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    const received: { request: CommandRequest; at: number }[] = [];
    client.on('message', (topic, payload) => {
      if (!topic.startsWith(`ef/v1/${agentId}/cmd/`)) return;
      const request = CommandRequestSchema.parse(JSON.parse(payload.toString()));
      received.push({ request, at: Date.now() });
      const reply = answer(request);
      if (reply === 'silence') return;
      void client.publishAsync(topics.reply(agentId, request.requestId), JSON.stringify({ requestId: request.requestId, ...reply }), { qos: 1 });
    });
    await client.subscribeAsync(`ef/v1/${agentId}/cmd/+`, { qos: 1 });
    await client.publishAsync(topics.presence(agentId), JSON.stringify({ status: 'online', at: now() }), { qos: 1, retain: true });
    await eventually(async () => expect((await api<{ online: boolean }>('GET', `/api/v1/agents/${agentId}`)).body.online).toBe(true));
    return { agentId, received };
  }

  /** The answers of an agent whose config has device 'sim' with group 'g' and tags 'a' (rw) and 'b'. */
  function simAgent(req: CommandRequest): Answer {
    const notFound = (message: string): Answer => ({ ok: false, error: { code: 'TAG_NOT_FOUND', message } });
    switch (req.command) {
      case 'read': {
        if (req.args.device !== 'sim') return notFound(`no device named '${req.args.device}' in the running config`);
        if (req.args.tag !== undefined && req.args.tag !== 'a') return notFound(`group 'g' of device 'sim' has no tag named '${req.args.tag}'`);
        const values = req.args.tag ? { a: 1.5 } : { a: 1.5, b: 7 };
        return { ok: true, result: { device: 'sim', group: req.args.group, timestamp: 1_700_000_000_000, values, errors: {} } };
      }
      case 'write':
        if (req.args.tag === 'b') return { ok: false, error: { code: 'TAG_NOT_WRITABLE', message: "tag 'b' is read-only (access 'r')" } };
        return { ok: true, result: { ...req.args, durationMs: 3.2 } };
      case 'browse':
        if (req.args.device === 'sim') return { ok: false, error: { code: 'OPERATION_UNSUPPORTED', message: 'a simulator device has no address space to browse; only OPC UA devices can be browsed' } };
        return {
          ok: true,
          result: { nodeId: req.args.nodeId, children: [{ nodeId: 'ns=2;s=Line1', browseName: '2:Line1', displayName: 'Line 1', nodeClass: 'Object', hasChildren: true }] },
        };
      case 'test-connection':
        return { ok: true, result: { ok: false, durationMs: 12, message: "device 'press-1': connect ECONNREFUSED 10.0.0.5:502", error: { code: 'DEVICE_ERROR', message: 'connect ECONNREFUSED 10.0.0.5:502' }, groups: [] } };
      case 'read-values':
        return { ok: true, result: { groups: [] } };
      case 'ping':
        return { ok: true, result: { agentVersion: 'fake', appliedRevision: 1, at: now() } };
    }
  }

  beforeAll(async () => {
    env = await startPlaneWithBroker();
    ({ ca, broker, plane, api, fleetId } = env);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    await env?.close();
  });

  it('sends each route as its command, with the validated body as arguments, and returns the result', async () => {
    const { agentId, received } = await fakeAgent('live-1', simAgent);
    const base = `/api/v1/agents/${agentId}`;

    const group = await api('POST', `${base}/tags/read`, { device: 'sim', group: 'g' });
    expect(group).toEqual({ status: 200, body: { device: 'sim', group: 'g', timestamp: 1_700_000_000_000, values: { a: 1.5, b: 7 }, errors: {} } });
    const one = await api('POST', `${base}/tags/read`, { device: 'sim', group: 'g', tag: 'a' });
    expect(one.body).toMatchObject({ values: { a: 1.5 } });

    const write = await api('POST', `${base}/tags/write`, { device: 'sim', group: 'g', tag: 'a', value: 2 });
    expect(write).toEqual({ status: 200, body: { device: 'sim', group: 'g', tag: 'a', value: 2, durationMs: 3.2 } });

    const browse = await api('POST', `${base}/browse`, { device: 'oven' });
    expect(browse.status).toBe(200);
    expect(browse.body).toEqual({ nodeId: 'i=85', children: [{ nodeId: 'ns=2;s=Line1', browseName: '2:Line1', displayName: 'Line 1', nodeClass: 'Object', hasChildren: true }] });
    expect((await api('POST', `${base}/browse`, { device: opcuaDevice, nodeId: 'ns=2;s=Line1' })).body).toMatchObject({ nodeId: 'ns=2;s=Line1' });

    // A machine that cannot be reached is a result, not an error.
    const tested = await api('POST', `${base}/devices/test-connection`, { device: modbusDevice('1!400002') });
    expect(tested.status).toBe(200);
    expect(tested.body).toMatchObject({ ok: false, message: "device 'press-1': connect ECONNREFUSED 10.0.0.5:502", error: { code: 'DEVICE_ERROR' } });

    const requests = received.map((r) => r.request);
    expect(requests.map((r) => r.command)).toEqual(['read', 'read', 'write', 'browse', 'browse', 'test-connection']);
    expect(requests[0]!.args).toEqual({ device: 'sim', group: 'g' });
    expect(requests[3]!.args).toEqual({ device: 'oven', nodeId: 'i=85' });
    // Devices travel with the defaults of their schema filled in, as the agent will run them.
    expect(requests[5]!.args).toMatchObject({ device: { name: 'press-1', enabled: true, settings: { host: '10.0.0.5', port: 502, addressBase: 1 } } });
  });

  it('fills in the stored secret where a device sent to test or browse carries ******** (as the API shows it)', async () => {
    const { agentId, received } = await fakeAgent('live-secrets', simAgent);
    const base = `/api/v1/agents/${agentId}`;
    const oven = { ...opcuaDevice, settings: { ...opcuaDevice.settings, userIdentity: { type: 'username', username: 'operator', password: 'oven-s3cret' } } };
    const put = await api('PUT', `${base}/config`, { document: { devices: [oven] } });
    expect(put.status, JSON.stringify(put.body)).toBe(201);
    const shown = (await api<{ document: { devices: Array<typeof oven> } }>('GET', `${base}/config`)).body.document.devices[0]!;
    expect(shown.settings.userIdentity.password).toBe('********');

    // The console sends the device back as it got it: the agent gets the real password.
    expect((await api('POST', `${base}/devices/test-connection`, { device: shown })).status).toBe(200);
    expect((await api('POST', `${base}/browse`, { device: shown })).status).toBe(200);
    // A new password typed in is used as it is.
    const typed = { ...shown, settings: { ...shown.settings, userIdentity: { type: 'username', username: 'operator', password: 'typed-in' } } };
    expect((await api('POST', `${base}/devices/test-connection`, { device: typed })).status).toBe(200);
    const sent = received.map((r) => r.request).filter((r) => r.command === 'test-connection' || r.command === 'browse');
    const passwordOf = (args: unknown): unknown => (args as { device: { settings: { userIdentity: { password?: unknown } } } }).device.settings.userIdentity.password;
    expect(sent.map((r) => passwordOf(r.args))).toEqual(['oven-s3cret', 'oven-s3cret', 'typed-in']);

    // A marker on a device the config does not have: 400 naming the field, nothing sent.
    const before = received.length;
    const unknown = await api<{ issues?: Array<{ path: string }> }>('POST', `${base}/devices/test-connection`, { device: { ...shown, name: 'kiln' } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.issues?.[0]?.path).toBe('devices[0].settings.userIdentity.password');
    expect(received.length).toBe(before);
  });

  it('gives commands that open a connection longer by default, and takes a bounded ?timeoutMs', async () => {
    const { agentId, received } = await fakeAgent('live-2', simAgent);
    const base = `/api/v1/agents/${agentId}`;
    const sent = async (method: string, path: string, body?: unknown) => {
      const res = await api(method, path, body);
      expect(res.status).toBe(200);
      const last = received.at(-1)!;
      return Date.parse(last.request.deadline) - last.at;
    };
    const near = (ms: number, expected: number) => {
      expect(ms).toBeGreaterThan(expected - 2000);
      expect(ms).toBeLessThanOrEqual(expected + 50);
    };
    near(await sent('POST', `${base}/tags/read`, { device: 'sim', group: 'g' }), COMMAND_TIMEOUTS.read.defaultMs);
    near(await sent('POST', `${base}/tags/write`, { device: 'sim', group: 'g', tag: 'a', value: 1 }), COMMAND_TIMEOUTS.write.defaultMs);
    near(await sent('POST', `${base}/browse`, { device: 'oven' }), COMMAND_TIMEOUTS.browse.defaultMs);
    near(await sent('POST', `${base}/devices/test-connection`, { device: modbusDevice('1!400002') }), COMMAND_TIMEOUTS['test-connection'].defaultMs);
    near(await sent('GET', `${base}/values`), COMMAND_TIMEOUTS['read-values'].defaultMs);
    expect(COMMAND_TIMEOUTS['test-connection'].defaultMs).toBeGreaterThan(COMMAND_TIMEOUTS.read.defaultMs);
    expect(COMMAND_TIMEOUTS.browse.defaultMs).toBeGreaterThan(COMMAND_TIMEOUTS.write.defaultMs);
    near(await sent('POST', `${base}/devices/test-connection?timeoutMs=90000`, { device: modbusDevice('1!400002') }), 90_000);

    const tooLong = await api<ApiError>('POST', `${base}/tags/read?timeoutMs=600000`, { device: 'sim', group: 'g' });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.issues).toEqual([{ path: 'timeoutMs', message: `must be at most ${COMMAND_TIMEOUTS.read.maxMs}` }]);
    expect((await api<ApiError>('POST', `${base}/browse?timeoutMs=soon`, { device: 'oven' })).body).toMatchObject({ statusCode: 400, issues: [{ path: 'timeoutMs' }] });
  });

  it('refuses invalid bodies with 400 naming the field and the reason, before anything reaches the agent', async () => {
    const { agentId, received } = await fakeAgent('live-3', simAgent);
    const base = `/api/v1/agents/${agentId}`;
    const bad = async (path: string, body: unknown) => {
      const res = await api<ApiError>('POST', `${base}/${path}`, body);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      return res.body;
    };
    expect((await bad('tags/read', { device: 'sim' })).issues).toEqual([{ path: 'group', message: 'is required' }]);
    expect((await bad('tags/read', { device: 'sim', group: 'g', tags: ['a'] })).issues).toEqual([{ path: '(root)', message: "unknown field 'tags'" }]);
    expect((await bad('tags/write', { device: 'sim', group: 'g', tag: 'a' })).issues).toEqual([{ path: 'value', message: 'is required' }]);
    expect((await bad('tags/write', { device: 'sim', group: 'g', tag: 'a', value: { x: 1 } })).issues).toEqual([{ path: 'value', message: 'must be a number, a boolean, a string or an array of octets' }]);
    expect((await bad('browse', { device: 'oven', nodeId: 'Line1.Speed' })).issues).toEqual([
      { path: 'nodeId', message: "'Line1.Speed' is not a NodeId: expected [ns=<index>;]i=|s=|g=|b=<identifier>, e.g. 'ns=2;s=Line1.Speed' or 'i=2258'" },
    ]);
    expect((await bad('browse', { device: 42 })).issues).toEqual([{ path: 'device', message: 'must be the name of a configured device or a device object' }]);
    expect((await bad('browse', { device: { ...opcuaDevice, settings: { endpointUrl: 'http://oven' } } })).issues?.[0]?.path).toBe('device.settings.endpointUrl');

    // The per-driver checks of a config run on a device given in full: the tag is named, with the reason.
    const modbus = await bad('devices/test-connection', { device: modbusDevice('1!500001') });
    expect(modbus.issues).toEqual([
      { path: 'device.groups[0].tags[1].address', message: "tag 'pressure': '1!500001': area 5 does not exist; use 0 (coils), 1 (discrete inputs), 3 (input registers) or 4 (holding registers)" },
    ]);
    expect(modbus.message).toBe(`device.groups[0].tags[1].address: ${modbus.issues![0]!.message}`);
    const misfit = await bad('devices/test-connection', { device: modbusDevice('1!300001.3') });
    expect(misfit.issues?.[0]).toMatchObject({ path: 'device.groups[0].tags[1].address', message: expect.stringMatching(/^tag 'pressure' \(1!300001\.3, float32\): /) });
    expect((await bad('devices/test-connection', { device: { ...opcuaDevice, groups: [{ name: 'g', intervalMs: 1000, tags: [{ name: 'speed', address: 'Line1.Speed', type: 'float64' }] }] } })).issues?.[0]).toMatchObject({
      path: 'device.groups[0].tags[0].address',
      message: expect.stringContaining("tag 'speed': 'Line1.Speed' is not a NodeId"),
    });
    expect((await bad('devices/test-connection', {})).issues).toEqual([{ path: 'device', message: 'is required' }]);
    expect((await bad('devices/test-connection', { device: 'press-1' })).issues?.[0]?.path).toBe('device');
    expect(received).toEqual([]);
  });

  it('maps what the agent answers: 404 for an unknown device or tag, 422 for a read-only tag or a device that cannot browse', async () => {
    const { agentId } = await fakeAgent('live-4', simAgent);
    const base = `/api/v1/agents/${agentId}`;
    expect((await api('POST', `${base}/tags/read`, { device: 'nope', group: 'g' })).body).toEqual({
      statusCode: 404,
      code: 'TAG_NOT_FOUND',
      message: "no device named 'nope' in the running config",
    });
    expect((await api('POST', `${base}/tags/read`, { device: 'sim', group: 'g', tag: 'zz' })).body).toMatchObject({ statusCode: 404, code: 'TAG_NOT_FOUND' });
    expect((await api('POST', `${base}/tags/write`, { device: 'sim', group: 'g', tag: 'b', value: 1 })).body).toMatchObject({ statusCode: 422, code: 'TAG_NOT_WRITABLE' });
    expect((await api('POST', `${base}/browse`, { device: 'sim' })).body).toMatchObject({ statusCode: 422, code: 'OPERATION_UNSUPPORTED' });
    // An agent that does not exist.
    const unknown = '00000000-0000-4000-8000-00000000abcd';
    expect((await api('POST', `/api/v1/agents/${unknown}/tags/read`, { device: 'sim', group: 'g' })).body).toMatchObject({ statusCode: 404, code: 'NOT_FOUND' });
  });

  it('answers 409 for an offline agent and 504 for one that does not answer, promptly, on every route', async () => {
    const silent = await fakeAgent('live-5', () => 'silence');
    const tok = await api<{ token: string }>('POST', `/api/v1/fleets/${fleetId}/enrollment-tokens`, {});
    const offline = await apiClient(plane.url)<{ agentId: string }>('POST', '/api/v1/enrollments', { token: tok.body.token, hardwareId: 'live-6', csr: (await makeCsr()).csrPem });
    const routes: [string, string, unknown][] = [
      ['GET', 'values', undefined],
      ['POST', 'tags/read', { device: 'sim', group: 'g' }],
      ['POST', 'tags/write', { device: 'sim', group: 'g', tag: 'a', value: 1 }],
      ['POST', 'browse', { device: 'oven' }],
      ['POST', 'devices/test-connection', { device: modbusDevice('1!400002') }],
    ];
    for (const [method, path, body] of routes) {
      const gone = await api<ApiError>(method, `/api/v1/agents/${offline.body.agentId}/${path}`, body);
      expect(gone.body, path).toMatchObject({ statusCode: 409, code: 'AGENT_OFFLINE', message: 'The agent is offline' });

      const started = Date.now();
      const late = await api<ApiError>(method, `/api/v1/agents/${silent.agentId}/${path}?timeoutMs=300`, body);
      expect(late.body, path).toEqual({ statusCode: 504, code: 'AGENT_TIMEOUT', message: 'The agent did not answer in time' });
      expect(Date.now() - started, path).toBeLessThan(3000);
    }
    expect(silent.received.map((r) => r.request.command)).toEqual(['read-values', 'read', 'write', 'browse', 'test-connection']);
  });

  it('documents every live route with its body and result in the OpenAPI spec', async () => {
    const spec = (await (await fetch(`${plane.url}/api/docs-json`)).json()) as {
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown> } }> }; parameters?: { name: string; schema?: { maximum?: number; default?: number } }[]; responses: Record<string, { content?: Record<string, { schema: { properties?: Record<string, unknown> } }> }> }>>;
    };
    const op = (path: string, method: string) => spec.paths[`/api/v1/agents/{id}/${path}`]?.[method];
    const bodyFields = (path: string) => Object.keys(op(path, 'post')?.requestBody?.content['application/json']?.schema.properties ?? {});
    const resultFields = (path: string) => Object.keys(op(path, 'post')?.responses['200']?.content?.['application/json']?.schema.properties ?? {});
    expect(bodyFields('tags/read')).toEqual(['device', 'group', 'tag']);
    expect(resultFields('tags/read')).toEqual(expect.arrayContaining(['device', 'group', 'timestamp', 'values', 'errors']));
    expect(bodyFields('tags/write')).toEqual(['device', 'group', 'tag', 'value']);
    expect(resultFields('tags/write')).toContain('durationMs');
    expect(bodyFields('browse')).toEqual(['device', 'nodeId']);
    expect(resultFields('browse')).toEqual(['nodeId', 'children']);
    expect(bodyFields('devices/test-connection')).toEqual(['device']);
    expect(resultFields('devices/test-connection')).toEqual(expect.arrayContaining(['ok', 'message', 'error', 'serverCertificate', 'groups']));
    const timeout = op('devices/test-connection', 'post')?.parameters?.find((p) => p.name === 'timeoutMs');
    expect(timeout?.schema).toMatchObject({ default: COMMAND_TIMEOUTS['test-connection'].defaultMs, maximum: COMMAND_TIMEOUTS['test-connection'].maxMs });
    const trust = spec.paths['/api/v1/agents/{id}/devices/{device}/trusted-certificates'];
    expect(Object.keys(trust ?? {})).toEqual(['post']);
    expect(Object.keys(spec.paths['/api/v1/agents/{id}/devices/{device}/trusted-certificates/{fingerprint}'] ?? {})).toEqual(['delete']);
  });
});
