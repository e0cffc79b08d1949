// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { MantineProvider } from '@mantine/core';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { DeviceSchema, parseWith, SECRET_MARKER, type BrowseNode, type GroupValues, type TestConnectionResult } from '@edgefleet/protocol/browser';
import { ApiClient } from '../api/client';
import { Commissioning } from './Commissioning';
import { newDeviceInput, emptyNewDevice } from './new-device';

const AGENT = '6f1c2a4e-0000-4000-8000-000000000001';
const BASE = `/api/v1/agents/${AGENT}`;
const FINGERPRINT = '5ef3a770fda59de020521f2702d4de47b80fc45bdcea7481f5f982f2248dc0e1';

/** The agent's desired config as the API shows it: defaults applied, secrets as the marker. */
function desiredDocument() {
  return {
    schemaVersion: 1,
    agent: { heartbeatIntervalMs: 10_000, logLevel: 'info' },
    devices: [
      {
        name: 'press',
        driver: 'modbus-tcp',
        enabled: true,
        settings: { host: '10.0.0.5', port: 502, timeoutMs: 3000, addressBase: 1 },
        groups: [
          {
            name: 'fast',
            intervalMs: 1000,
            tags: [
              { name: 'pressure', address: '1!400001', type: 'int16', access: 'r' },
              { name: 'stroke', address: '1!400002', type: 'uint16', access: 'r' },
            ],
          },
        ],
      },
      {
        name: 'filler',
        driver: 'opcua',
        enabled: true,
        settings: {
          endpointUrl: 'opc.tcp://plc:4840',
          securityMode: 'SignAndEncrypt',
          securityPolicy: 'Basic256Sha256',
          userIdentity: { type: 'username', username: 'edge', password: SECRET_MARKER },
          trustedServerCertificates: [],
        },
        groups: [{ name: 'process', intervalMs: 500, tags: [{ name: 'Speed', address: 'ns=2;s=Other.Speed', type: 'float64', access: 'r' }] }],
      },
    ],
    northbound: [],
  };
}

const node = (partial: Partial<BrowseNode> & Pick<BrowseNode, 'nodeId' | 'browseName'>): BrowseNode => ({
  displayName: partial.browseName.replace(/^\d+:/, ''),
  nodeClass: 'Variable',
  hasChildren: false,
  ...partial,
});

const BROWSE: Record<string, BrowseNode[]> = {
  'i=85': [
    node({ nodeId: 'ns=2;s=Line1', browseName: '2:Line1', nodeClass: 'Object', hasChildren: true }),
    node({ nodeId: 'i=2253', browseName: '0:Server', nodeClass: 'Object', hasChildren: true }),
  ],
  'ns=2;s=Line1': [
    node({ nodeId: 'ns=2;s=Line1.Speed', browseName: '2:Speed', dataType: 'Double', tagType: 'float64', readable: true, writable: true }),
    node({ nodeId: 'ns=2;s=Line1.Temp', browseName: '2:Temp/Top', dataType: 'Float', readable: true, writable: false }),
    node({ nodeId: 'ns=2;s=Line1.Running', browseName: '2:Running', dataType: 'Boolean', tagType: 'bool', readable: true, writable: false }),
    node({ nodeId: 'ns=2;s=Line1.Recipe', browseName: '2:Recipe', dataType: 'RecipeType', readable: true, writable: false }),
  ],
};

interface Call {
  method: string;
  path: string;
  body?: Record<string, unknown>;
}

interface Scenario {
  testConnection?: TestConnectionResult | { status: number; code: string; message: string };
  read?: GroupValues;
  putError?: { status: number; code: string; message: string; issues: Array<{ path: string; message: string }> };
  /** The agent has no desired config yet (404) until something is PUT. */
  noConfig?: boolean;
}

const json = (body: unknown, status = 200): Response => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
const apiError = (status: number, code: string, message: string, issues: Array<{ path: string; message: string }> = []) => json({ statusCode: status, code, message, ...(issues.length ? { issues } : {}) }, status);

/** A fetch that answers the config and live routes like the control plane, keeping what was PUT. */
function fakeApi(calls: Call[], scenario: Scenario = {}): typeof fetch {
  let document: unknown = scenario.noConfig ? null : desiredDocument();
  let revision = scenario.noConfig ? 0 : 7;
  const view = () => ({ agentId: AGENT, revision, sha256: 'ab'.repeat(32), document, author: 'admin', comment: null, rollbackOf: null, createdAt: '2026-12-03T10:00:00.000Z' });
  return async (input, init) => {
    const url = new URL(String(input), 'http://console.test');
    const method = init?.method ?? 'GET';
    const body = init?.body ? (JSON.parse(String(init.body)) as Record<string, unknown>) : undefined;
    calls.push({ method, path: url.pathname, ...(body ? { body } : {}) });
    const path = url.pathname;
    if (path === `${BASE}/config` && method === 'GET') return document === null ? apiError(404, 'NOT_FOUND', `Agent ${AGENT} has no config`) : json(view());
    if (path === `${BASE}/config` && method === 'PUT') {
      if (scenario.putError) return apiError(scenario.putError.status, scenario.putError.code, scenario.putError.message, scenario.putError.issues);
      document = body?.document;
      revision += 1;
      return json(view(), 201);
    }
    if (path === `${BASE}/devices/test-connection` && method === 'POST') {
      const t = scenario.testConnection;
      if (t && 'status' in t) return apiError(t.status, t.code, t.message);
      return json(t ?? { ok: true, durationMs: 12, message: 'connected', groups: [] });
    }
    if (path === `${BASE}/devices/filler/trusted-certificates` && method === 'POST') {
      revision += 1;
      return json(view(), 201);
    }
    if (path === `${BASE}/browse` && method === 'POST') {
      const nodeId = (body?.nodeId as string | undefined) ?? 'i=85';
      return json({ nodeId, children: BROWSE[nodeId] ?? [] });
    }
    if (path === `${BASE}/tags/read` && method === 'POST') {
      if (!scenario.read) return apiError(504, 'AGENT_TIMEOUT', `Agent ${AGENT} did not answer 'read' within 10000 ms`);
      return json(scenario.read);
    }
    return apiError(404, 'NOT_FOUND', 'no such route');
  };
}

function renderScreen(fetchImpl: typeof fetch, canEdit = true) {
  const queries = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <MantineProvider>
      <QueryClientProvider client={queries}>
        <Commissioning client={new ApiClient('token', fetchImpl)} agentId={AGENT} canEdit={canEdit} />
      </QueryClientProvider>
    </MantineProvider>,
  );
}

async function chooseSavedDevice(name: string) {
  const select = (await screen.findByRole('combobox', { name: 'Saved device' })) as HTMLSelectElement;
  expect(select.getAttribute('data-testid')).toBe('saved-device');
  fireEvent.change(select, { target: { value: name } });
  await waitFor(() => expect(select.value).toBe(name));
}

const untrusted: TestConnectionResult = {
  ok: false,
  durationMs: 850,
  message: "the server certificate of 'filler' (CN=plc) is not trusted; review its fingerprint and trust it",
  error: { code: 'CERTIFICATE_UNTRUSTED', message: "the server certificate of 'filler' (CN=plc) is not trusted" },
  serverCertificate: { fingerprint: FINGERPRINT, subject: 'CN=plc', issuer: 'CN=plc', validFrom: '2026-01-01T00:00:00.000Z', validTo: '2036-01-01T00:00:00.000Z', pem: '-----BEGIN CERTIFICATE-----' },
  groups: [],
};

afterEach(cleanup);

describe('Commissioning: test connection', () => {
  it('tests a saved device and shows the message, the duration and each group read with its values and errors', async () => {
    const calls: Call[] = [];
    renderScreen(
      fakeApi(calls, {
        testConnection: {
          ok: false,
          durationMs: 1520,
          message: "connected to 'press'; 1 of 2 tags could not be read (see errors)",
          groups: [{ device: 'press', group: 'fast', timestamp: 1_764_756_000_000, values: { pressure: 812 }, errors: { stroke: 3027 } }],
        },
      }),
    );
    await chooseSavedDevice('press');
    fireEvent.click(screen.getByTestId('test-connection'));
    const result = await screen.findByTestId('test-connection-result');
    expect(within(result).getByText('Connected, but some tags could not be read')).toBeTruthy();
    expect(within(result).getByText("connected to 'press'; 1 of 2 tags could not be read (see errors)")).toBeTruthy();
    expect(result.textContent).toContain('took 1.5 s');
    const table = within(result).getByTestId('test-connection-group-fast');
    expect(within(table).getByText('812')).toBeTruthy();
    expect(within(table).getByText('the address could not be read (error 3027)')).toBeTruthy();
    // The saved device goes in full, as the desired config holds it.
    const sent = calls.find((c) => c.path === `${BASE}/devices/test-connection`);
    expect(sent?.body).toEqual({ device: desiredDocument().devices[0] });
  });

  it('reports a working connection in green', async () => {
    renderScreen(fakeApi([], { testConnection: { ok: true, durationMs: 40, message: "connected to 'press' and read 2 tags", groups: [] } }));
    await chooseSavedDevice('press');
    fireEvent.click(screen.getByTestId('test-connection'));
    const result = await screen.findByTestId('test-connection-result');
    expect(within(result).getByText('The connection works')).toBeTruthy();
    expect(within(result).getByText("connected to 'press' and read 2 tags")).toBeTruthy();
  });

  it('shows an untrusted server certificate and trusts it for the saved device', async () => {
    const calls: Call[] = [];
    renderScreen(fakeApi(calls, { testConnection: untrusted }));
    await chooseSavedDevice('filler');
    fireEvent.click(screen.getByTestId('test-connection'));
    const result = await screen.findByTestId('test-connection-result');
    expect(within(result).getByText('The connection failed')).toBeTruthy();
    expect(within(result).getByText('The server certificate is not trusted')).toBeTruthy();
    expect(within(result).getByText(untrusted.message)).toBeTruthy();
    expect(within(result).getByTestId('certificate-fingerprint').textContent).toBe('5E:F3:A7:70:FD:A5:9D:E0:20:52:1F:27:02:D4:DE:47:B8:0F:C4:5B:DC:EA:74:81:F5:F9:82:F2:24:8D:C0:E1');
    expect(within(result).getByText('Subject: CN=plc')).toBeTruthy();
    // The password goes as the marker: the API takes the saved one.
    const sent = calls.find((c) => c.path === `${BASE}/devices/test-connection`)?.body as { device: { settings: { userIdentity: { password: string } } } };
    expect(sent.device.settings.userIdentity.password).toBe(SECRET_MARKER);

    fireEvent.click(within(result).getByTestId('trust-certificate'));
    expect((await screen.findByTestId('trust-result')).textContent).toContain('revision 8');
    expect(calls.find((c) => c.path === `${BASE}/devices/filler/trusted-certificates`)?.body).toEqual({ fingerprint: FINGERPRINT });
  });

  it('explains an offline agent and a timeout in plain words, and keeps them on screen', async () => {
    renderScreen(fakeApi([], { testConnection: { status: 409, code: 'AGENT_OFFLINE', message: 'The agent is offline' } }));
    await chooseSavedDevice('press');
    fireEvent.click(screen.getByTestId('test-connection'));
    const offline = await screen.findByTestId('test-connection-error');
    expect(offline.textContent).toContain('The agent is offline');
    expect(offline.textContent).toContain('not connected to the control plane right now');
    cleanup();

    renderScreen(fakeApi([], { testConnection: { status: 504, code: 'AGENT_TIMEOUT', message: `Agent ${AGENT} did not answer 'test-connection' within 30000 ms` } }));
    await chooseSavedDevice('press');
    fireEvent.click(screen.getByTestId('test-connection'));
    const timeout = await screen.findByTestId('test-connection-error');
    expect(timeout.textContent).toContain('The agent did not answer in time');
    expect(timeout.textContent).toContain("did not answer 'test-connection' within 30000 ms");
  });
});

describe('Commissioning: new device', () => {
  it('shows the protocol validation message at the field and sends nothing while the device is invalid', async () => {
    const calls: Call[] = [];
    renderScreen(fakeApi(calls));
    await screen.findByRole('combobox', { name: 'Saved device' });
    fireEvent.click(screen.getByText('New device'));
    fireEvent.change(screen.getByLabelText('Driver'), { target: { value: 'opcua' } });
    const endpoint = await screen.findByLabelText(/Endpoint URL/);
    fireEvent.change(endpoint, { target: { value: 'http://plc:4840' } });
    fireEvent.blur(endpoint);

    const values = { ...emptyNewDevice(), driver: 'opcua' as const, endpointUrl: 'http://plc:4840' };
    const expected = parseWith(DeviceSchema, newDeviceInput(values));
    const message = expected.ok ? undefined : expected.issues.find((i) => i.path === 'settings.endpointUrl')?.message;
    expect(message).toBe("must be an opc.tcp:// URL, e.g. 'opc.tcp://plc1:4840'");
    expect(await screen.findByText(message as string)).toBeTruthy();
    expect(screen.queryByText('must not be empty')).toBeNull();

    fireEvent.click(screen.getByTestId('test-connection'));
    // Trying to use it shows every field's message, the empty name's too.
    expect(await screen.findByText('must not be empty')).toBeTruthy();
    expect(calls.some((c) => c.path.endsWith('/test-connection'))).toBe(false);
  });

  it('tests a new device in full, with the protocol defaults, and trusts its certificate before it is saved', async () => {
    const calls: Call[] = [];
    renderScreen(fakeApi(calls, { testConnection: untrusted }));
    await screen.findByRole('combobox', { name: 'Saved device' });
    fireEvent.click(screen.getByText('New device'));
    fireEvent.change(screen.getByLabelText(/Device name/), { target: { value: 'mixer' } });
    fireEvent.change(screen.getByLabelText('Driver'), { target: { value: 'opcua' } });
    fireEvent.change(await screen.findByLabelText(/Endpoint URL/), { target: { value: 'opc.tcp://mixer:4840' } });
    fireEvent.change(screen.getByLabelText('Security mode'), { target: { value: 'SignAndEncrypt' } });
    fireEvent.change(screen.getByLabelText('Security policy'), { target: { value: 'Basic256Sha256' } });
    fireEvent.click(screen.getByTestId('test-connection'));
    await screen.findByTestId('test-connection-result');
    const sent = calls.find((c) => c.path.endsWith('/test-connection'))?.body as { device: Record<string, unknown> };
    expect(sent.device).toMatchObject({
      name: 'mixer',
      driver: 'opcua',
      groups: [],
      settings: { endpointUrl: 'opc.tcp://mixer:4840', securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256', requestTimeoutMs: 10_000, userIdentity: { type: 'anonymous' } },
    });

    fireEvent.click(screen.getByTestId('trust-certificate'));
    expect((await screen.findByTestId('trust-result')).textContent).toContain('Trusted for this new device');
    fireEvent.click(screen.getByTestId('test-connection'));
    await waitFor(() => expect(calls.filter((c) => c.path.endsWith('/test-connection'))).toHaveLength(2));
    const again = calls.filter((c) => c.path.endsWith('/test-connection'))[1]?.body as { device: { settings: { trustedServerCertificates: string[] } } };
    expect(again.device.settings.trustedServerCertificates).toEqual([FINGERPRINT]);
    // Trusting an unsaved device changes no config.
    expect(calls.some((c) => c.path.includes('trusted-certificates'))).toBe(false);
  });
});

describe('Commissioning: saving a new device', () => {
  it('adds the tested device to an agent without config, without its test tag, and selects it', async () => {
    const calls: Call[] = [];
    renderScreen(fakeApi(calls, { noConfig: true }));
    expect((await screen.findByTestId('no-devices')).textContent).toContain('This agent has no config yet.');
    fireEvent.click(screen.getByRole('button', { name: 'Describe a new device' }));
    fireEvent.change(screen.getByLabelText(/Device name/), { target: { value: 'press-2' } });
    fireEvent.change(screen.getByLabelText(/Host/), { target: { value: '10.0.0.9' } });
    fireEvent.change(screen.getByLabelText(/Tag to read in the test/), { target: { value: '1!400001' } });
    fireEvent.click(screen.getByTestId('test-connection'));
    await screen.findByTestId('test-connection-result');
    const tested = calls.find((c) => c.path.endsWith('/test-connection'))?.body as { device: { groups: unknown[] } };
    expect(tested.device.groups).toEqual([{ name: 'test', intervalMs: 1000, tags: [{ name: 'test', address: '1!400001', type: 'uint16', access: 'r' }] }]);

    fireEvent.click(screen.getByTestId('save-device'));
    expect((await screen.findByTestId('save-device-result')).textContent).toContain("Device 'press-2' is saved in revision 1");
    const put = calls.find((c) => c.method === 'PUT');
    expect(put?.body?.comment).toBe("Added device 'press-2' from commissioning");
    const doc = put?.body?.document as { devices: Array<{ name: string; driver: string; settings: Record<string, unknown>; groups: unknown[] }> };
    expect(doc.devices).toHaveLength(1);
    expect(doc.devices[0]).toMatchObject({ name: 'press-2', driver: 'modbus-tcp', settings: { host: '10.0.0.9', port: 502 }, groups: [] });
    const select = (await screen.findByRole('combobox', { name: 'Saved device' })) as HTMLSelectElement;
    expect(select.value).toBe('press-2');
  });
});

describe('Commissioning: browse and add tags', () => {
  it('lazy-loads children on expand and adds the ticked variables as tags, names made valid and unique, types mapped', async () => {
    const calls: Call[] = [];
    renderScreen(fakeApi(calls));
    await chooseSavedDevice('filler');
    fireEvent.click(screen.getByTestId('browse'));
    expect(await screen.findByText('Line1')).toBeTruthy();
    const browses = () => calls.filter((c) => c.path === `${BASE}/browse`);
    expect(browses().map((c) => c.body)).toEqual([{ device: 'filler' }]);
    expect(screen.queryByText('Speed')).toBeNull();

    fireEvent.click(screen.getByRole('button', { name: 'Expand Line1' }));
    expect(await screen.findByText('Speed')).toBeTruthy();
    expect(browses().map((c) => c.body)).toEqual([{ device: 'filler' }, { device: 'filler', nodeId: 'ns=2;s=Line1' }]);
    expect(screen.getByText('Double → float64')).toBeTruthy();
    expect(screen.getByText('read/write')).toBeTruthy();
    // Collapsing and expanding again asks the agent nothing more.
    fireEvent.click(screen.getByRole('button', { name: 'Collapse Line1' }));
    fireEvent.click(screen.getByRole('button', { name: 'Expand Line1' }));
    await screen.findByText('Speed');
    expect(browses()).toHaveLength(2);

    // A structure cannot be a tag.
    expect((screen.getByLabelText('Select Recipe') as HTMLInputElement).disabled).toBe(true);
    fireEvent.click(screen.getByLabelText('Select Speed'));
    fireEvent.click(screen.getByLabelText('Select Temp/Top'));
    fireEvent.click(screen.getByLabelText('Select Running'));
    expect(screen.getByTestId('selected-count').textContent).toBe('3 variables selected');

    // The group 'process' already has a tag named 'Speed'.
    fireEvent.change(screen.getByLabelText('Add to group'), { target: { value: 'process' } });
    const preview = await screen.findByTestId('add-tags-preview');
    expect(within(preview).getByText('Speed_2')).toBeTruthy();
    fireEvent.click(screen.getByTestId('add-tags'));

    const report = await screen.findByTestId('add-tags-result');
    expect(report.textContent).toContain('Added 3 tags');
    expect(report.textContent).toContain('revision 8');
    expect(report.textContent).toContain("'Speed' is named 'Speed_2'");
    expect(report.textContent).toContain("'Temp/Top' is named 'Temp_Top'");

    const put = calls.find((c) => c.method === 'PUT');
    expect(put?.body?.comment).toBe('Added 3 tags from OPC UA browse');
    const doc = put?.body?.document as ReturnType<typeof desiredDocument>;
    const filler = doc.devices[1];
    expect(filler?.groups[0]?.tags).toEqual([
      { name: 'Speed', address: 'ns=2;s=Other.Speed', type: 'float64', access: 'r' },
      { name: 'Speed_2', address: 'ns=2;s=Line1.Speed', type: 'float64', access: 'rw' },
      { name: 'Temp_Top', address: 'ns=2;s=Line1.Temp', type: 'float32', access: 'r' },
      { name: 'Running', address: 'ns=2;s=Line1.Running', type: 'bool', access: 'r' },
    ]);
    // Everything else is sent back as it was, the secret as its marker.
    expect(filler?.settings).toEqual(desiredDocument().devices[1]?.settings);
    expect(doc.devices[0]).toEqual(desiredDocument().devices[0]);
    // The selection is cleared once added.
    await waitFor(() => expect(screen.queryByTestId('selected-count')).toBeNull());
  });

  it('adds to a new group with its interval', async () => {
    const calls: Call[] = [];
    renderScreen(fakeApi(calls));
    await chooseSavedDevice('filler');
    fireEvent.click(screen.getByTestId('browse'));
    fireEvent.click(await screen.findByRole('button', { name: 'Expand Line1' }));
    fireEvent.click(await screen.findByLabelText('Select Running'));
    fireEvent.change(screen.getByLabelText('Add to group'), { target: { value: '__new_group__' } });
    fireEvent.change(screen.getByLabelText(/New group name/), { target: { value: 'status' } });
    fireEvent.change(screen.getByLabelText(/Interval \(ms\)/), { target: { value: '5000' } });
    await waitFor(() => expect((screen.getByTestId('add-tags') as HTMLButtonElement).disabled).toBe(false));
    fireEvent.click(screen.getByTestId('add-tags'));
    await screen.findByTestId('add-tags-result');
    const doc = calls.find((c) => c.method === 'PUT')?.body?.document as ReturnType<typeof desiredDocument>;
    expect(doc.devices[1]?.groups[1]).toEqual({ name: 'status', intervalMs: 5000, tags: [{ name: 'Running', address: 'ns=2;s=Line1.Running', type: 'bool', access: 'r' }] });
    expect(calls.find((c) => c.method === 'PUT')?.body?.comment).toBe('Added 1 tag from OPC UA browse');
  });

  it("shows a refused document's issues with the names they point at", async () => {
    renderScreen(
      fakeApi([], {
        putError: { status: 400, code: 'VALIDATION_FAILED', message: 'The config is not valid', issues: [{ path: 'devices[1].groups[0].tags[1].address', message: "tag 'Speed_2': the namespace is unknown" }] },
      }),
    );
    await chooseSavedDevice('filler');
    fireEvent.click(screen.getByTestId('browse'));
    fireEvent.click(await screen.findByRole('button', { name: 'Expand Line1' }));
    fireEvent.click(await screen.findByLabelText('Select Speed'));
    fireEvent.click(screen.getByTestId('add-tags'));
    const error = await screen.findByTestId('add-tags-error');
    expect(error.textContent).toContain('The request was refused');
    expect(error.textContent).toContain('The config is not valid');
    expect(error.textContent).toContain("device 'filler' › group 'process' › tag 'Speed_2' › address: tag 'Speed_2': the namespace is unknown");
  });
});

describe('Commissioning: test read', () => {
  it('reads a tag of a group and shows values and error codes in words', async () => {
    const calls: Call[] = [];
    renderScreen(fakeApi(calls, { read: { device: 'press', group: 'fast', timestamp: 1_764_756_000_000, values: { pressure: 812 }, errors: { stroke: 3022 } } }));
    await chooseSavedDevice('press');
    fireEvent.change(screen.getByLabelText('Tag'), { target: { value: 'pressure' } });
    fireEvent.click(screen.getByTestId('test-read'));
    const table = await screen.findByTestId('test-read-result');
    expect(within(table).getByText('812')).toBeTruthy();
    expect(within(table).getByText('the device did not answer (error 3022)')).toBeTruthy();
    expect(calls.find((c) => c.path === `${BASE}/tags/read`)?.body).toEqual({ device: 'press', group: 'fast', tag: 'pressure' });
  });

  it('explains a read that timed out', async () => {
    renderScreen(fakeApi([]));
    await chooseSavedDevice('press');
    fireEvent.click(screen.getByTestId('test-read'));
    const error = await screen.findByTestId('test-read-error');
    expect(error.textContent).toContain('The agent did not answer in time');
  });
});

describe('Commissioning: viewer', () => {
  it('offers no new device, no trust and no add-as-tags without edit rights', async () => {
    renderScreen(fakeApi([], { testConnection: untrusted }), false);
    await chooseSavedDevice('filler');
    expect(screen.queryByText('New device')).toBeNull();
    fireEvent.click(screen.getByTestId('test-connection'));
    const result = await screen.findByTestId('test-connection-result');
    expect(within(result).getByTestId('certificate-fingerprint')).toBeTruthy();
    expect(within(result).queryByTestId('trust-certificate')).toBeNull();
    expect(within(result).getByText('An operator or an administrator can trust it.')).toBeTruthy();

    fireEvent.click(screen.getByTestId('browse'));
    fireEvent.click(await screen.findByRole('button', { name: 'Expand Line1' }));
    expect(await screen.findByText('Speed')).toBeTruthy();
    expect(screen.queryByRole('checkbox')).toBeNull();
    expect(screen.queryByTestId('add-tags')).toBeNull();
    expect(screen.queryByTestId('save-device')).toBeNull();
  });
});
