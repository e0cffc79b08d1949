// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { MantineProvider } from '@mantine/core';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { AgentConfigSchema, SECRET_MARKER, parseWith } from '@edgefleet/protocol/browser';
import { ApiClient } from '../api/client';
import { ConfigEditor } from './ConfigEditor';
import { FakeConfigApi } from './config-api.fake';

// happy-dom has no FontFaceSet; Mantine's autosizing textarea listens on it for font loads.
if (!('fonts' in document)) Object.defineProperty(document, 'fonts', { value: new EventTarget() });

let agentSeq = 0;
/** Each test its own agent: unsaved edits are remembered per agent while the console runs. */
const nextAgentId = () => `00000000-0000-4000-8000-${String(++agentSeq).padStart(12, '0')}`;

const simulatorDoc = () => ({
  devices: [
    {
      name: 'sim',
      driver: 'simulator',
      settings: { seed: 7 },
      groups: [{ name: 'fast', intervalMs: 1000, tags: [{ name: 'temp', address: 'sine(period=5000)', type: 'float64', unit: '°C' }] }],
    },
  ],
  northbound: [{ name: 'fleet', kind: 'mqtt', subscriptions: [{ device: 'sim', group: 'fast' }] }],
});

const secretsDoc = () => ({
  devices: [
    {
      name: 'plc',
      driver: 'opcua',
      settings: { endpointUrl: 'opc.tcp://plc1:4840', userIdentity: { type: 'username', username: 'op', password: 'opc-pass' } },
      groups: [],
    },
  ],
  northbound: [{ name: 'cloud', kind: 'mqtt', settings: { broker: { url: 'mqtts://broker.example:8883', username: 'edge', password: 'mqtt-pass' }, topic: 'plant/{device}' } }],
});

function renderEditor(api: FakeConfigApi, canEdit = true) {
  const queries = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <MantineProvider>
      <QueryClientProvider client={queries}>
        <ConfigEditor client={new ApiClient('token', api.fetch)} agentId={api.agentId} canEdit={canEdit} />
      </QueryClientProvider>
    </MantineProvider>,
  );
}

const field = (path: string) => screen.getByTestId(`field-${path}`) as HTMLInputElement;
const findField = async (path: string) => (await screen.findByTestId(`field-${path}`)) as HTMLInputElement;
const queryField = (path: string) => screen.queryByTestId(`field-${path}`);
const type = (el: HTMLElement, value: string) => fireEvent.change(el, { target: { value } });
/** The error line Mantine shows under an input, linked by aria-describedby. */
function errorOf(el: HTMLElement): string | null {
  const ids = (el.getAttribute('aria-describedby') ?? '').split(/\s+/).filter((id) => id.endsWith('-error'));
  return ids.map((id) => document.getElementById(id)?.textContent ?? '').join(' ') || null;
}
/** The protocol's own message for a path of a document. */
function protocolMessage(doc: unknown, path: string): string {
  const result = parseWith(AgentConfigSchema, doc);
  if (result.ok) throw new Error('expected the document to be invalid');
  const issue = result.issues.find((i) => i.path === path);
  if (!issue) throw new Error(`no issue at ${path}: ${JSON.stringify(result.issues)}`);
  return issue.message;
}
/** Opens a group's panel (a device's only group starts open). */
async function openGroup(d: number, g: number) {
  const control = await screen.findByTestId(`open-devices[${d}].groups[${g}]`);
  if (control.getAttribute('aria-expanded') !== 'true') fireEvent.click(control);
}
const lastRequest = (api: FakeConfigApi, method: string) => [...api.requests].reverse().find((r) => r.method === method);

afterEach(cleanup);

describe('ConfigEditor', () => {
  it('shows the desired and applied revisions, and a form generated from the schema whose fields follow the driver', async () => {
    const api = new FakeConfigApi(nextAgentId(), { documents: [simulatorDoc(), simulatorDoc(), simulatorDoc()], applied: 2 });
    renderEditor(api);
    expect((await screen.findByTestId('desired-revision')).textContent).toBe('3');
    await waitFor(() => expect(screen.getByTestId('applied-revision').textContent).toBe('2'));
    expect(screen.getByTestId('sync-status').textContent).toBe('Pending');
    expect(screen.getByTestId('editing-revision').textContent).toContain('Editing revision 3');

    // Fields of the simulator device, from its schema, with help from the schema's limits and defaults.
    expect(field('devices[0].name').value).toBe('sim');
    expect((field('devices[0].driver') as unknown as HTMLSelectElement).value).toBe('simulator');
    expect(field('devices[0].settings.seed').value).toBe('7');
    expect(queryField('devices[0].settings.host')).toBeNull();

    // Another driver: its settings' fields replace the simulator's; name and groups stay.
    fireEvent.change(field('devices[0].driver'), { target: { value: 'modbus-tcp' } });
    const host = await findField('devices[0].settings.host');
    expect(queryField('devices[0].settings.seed')).toBeNull();
    expect(field('devices[0].settings.port').placeholder).toBe('502');
    expect(screen.getByText(/1 to 65535 · whole number · default 502/)).toBeTruthy();
    expect((field('devices[0].settings.addressBase') as unknown as HTMLSelectElement).value).toBe('');
    expect(field('devices[0].name').value).toBe('sim');
    expect(screen.getByTestId('open-devices[0].groups[0]').textContent).toContain('fast');
    // The new driver's required host is empty: the protocol says so on the field.
    await waitFor(() => expect(errorOf(host)).toBe('must not be empty'));

    fireEvent.change(field('devices[0].driver'), { target: { value: 'opcua' } });
    expect(await findField('devices[0].settings.endpointUrl')).toBeTruthy();
    expect((field('devices[0].settings.userIdentity.type') as unknown as HTMLSelectElement).value).toBe('anonymous');
    fireEvent.change(field('devices[0].settings.userIdentity.type'), { target: { value: 'username' } });
    expect(await findField('devices[0].settings.userIdentity.password')).toBeTruthy();
    expect(field('devices[0].settings.userIdentity.password').type).toBe('password');

    // The tag table shows the group's tags as rows with the tag schema's columns.
    await openGroup(0, 0);
    expect(field('devices[0].groups[0].tags[0].name').value).toBe('temp');
    expect(field('devices[0].groups[0].tags[0].unit').value).toBe('°C');
    expect((field('devices[0].groups[0].tags[0].type') as unknown as HTMLSelectElement).value).toBe('float64');
    fireEvent.click(screen.getByTestId('add-devices[0].groups[0].tags'));
    expect(field('devices[0].groups[0].tags[1].name').value).toBe('tag-2');
    fireEvent.click(screen.getByRole('button', { name: 'Remove tag temp' }));
    expect(field('devices[0].groups[0].tags[0].name').value).toBe('tag-2');
  });

  it("shows the protocol's message on an invalid field, lists it, and blocks saving until it is fixed", async () => {
    const api = new FakeConfigApi(nextAgentId(), { documents: [simulatorDoc()] });
    renderEditor(api);
    await openGroup(0, 0);
    const interval = await findField('devices[0].groups[0].intervalMs');
    type(interval, '5');

    const bad = simulatorDoc();
    (bad.devices[0] as { groups: Array<{ intervalMs: number }> }).groups[0]!.intervalMs = 5;
    const expected = protocolMessage(bad, 'devices[0].groups[0].intervalMs');
    await waitFor(() => expect(errorOf(field('devices[0].groups[0].intervalMs'))).toBe(expected));
    const summary = screen.getByTestId('issue-summary');
    expect(summary.textContent).toContain(`devices[0].groups[0].intervalMs: ${expected}`);
    expect((screen.getByTestId('config-save') as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByTestId('save-blocker').textContent).toBe('Fix the problem to save.');

    type(field('devices[0].groups[0].intervalMs'), '500');
    await waitFor(() => expect(screen.queryByTestId('issue-summary')).toBeNull());
    expect(errorOf(field('devices[0].groups[0].intervalMs'))).toBeNull();
    expect((screen.getByTestId('config-save') as HTMLButtonElement).disabled).toBe(false);
  });

  it("puts the API's 400 issues on their fields", async () => {
    const api = new FakeConfigApi(nextAgentId(), { documents: [simulatorDoc()] });
    api.prefixDiffIssues = true;
    renderEditor(api);
    await findField('devices[0].name');
    // Only the API can tell: a secret marker where the stored config has no secret to keep.
    fireEvent.click(screen.getByTestId('tab-raw'));
    const doc = parseYaml((screen.getByTestId('raw-text') as HTMLTextAreaElement).value) as { devices: Array<Record<string, unknown>> };
    doc.devices.push({ name: 'plc', driver: 'opcua', settings: { endpointUrl: 'opc.tcp://plc1:4840', userIdentity: { type: 'username', username: 'op', password: SECRET_MARKER } } });
    type(screen.getByTestId('raw-text'), toYaml(doc));
    await waitFor(() => expect((screen.getByTestId('config-save') as HTMLButtonElement).disabled).toBe(false));

    fireEvent.click(screen.getByTestId('config-save'));
    const dialog = await screen.findByTestId('review-dialog');
    await within(dialog).findByText(/The control plane rejects this config/);
    expect((within(dialog).getByTestId('review-confirm') as HTMLButtonElement).disabled).toBe(true);
    const message = "is '********' (keep the stored secret), but the current config has no secret here to keep; send the secret itself";
    // The request carried the issue as `document.devices[1]…`; the editor shows it at the field.
    expect(screen.getByTestId('issue-summary').textContent).toContain(`devices[1].settings.userIdentity.password: ${message}`);
    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));

    fireEvent.click(screen.getByTestId('tab-form'));
    fireEvent.click(await screen.findByTestId('select-devices[1]'));
    const password = await findField('devices[1].settings.userIdentity.password');
    expect(errorOf(password)).toBe(message);
    // Typing the secret itself answers the issue.
    type(password, 'opc-pass');
    await waitFor(() => expect(screen.queryByTestId('issue-summary')).toBeNull());
  });

  it('without the diff endpoint still saves, and a rejected save puts the issues on the fields', async () => {
    const api = new FakeConfigApi(nextAgentId(), { documents: [simulatorDoc()] });
    api.diffAvailable = false;
    renderEditor(api);
    await findField('devices[0].name');
    fireEvent.click(screen.getByTestId('tab-raw'));
    const doc = parseYaml((screen.getByTestId('raw-text') as HTMLTextAreaElement).value) as { northbound: Array<Record<string, unknown>> };
    doc.northbound.push({ name: 'own', kind: 'mqtt', settings: { broker: { url: 'mqtt://broker', username: 'u', password: SECRET_MARKER } } });
    type(screen.getByTestId('raw-text'), toYaml(doc));
    await waitFor(() => expect((screen.getByTestId('config-save') as HTMLButtonElement).disabled).toBe(false));

    fireEvent.click(screen.getByTestId('config-save'));
    const dialog = await screen.findByTestId('review-dialog');
    expect((await within(dialog).findByText(/The changes cannot be listed/)).closest('[role="alert"]')?.textContent).toContain('You can still save');
    fireEvent.click(within(dialog).getByTestId('review-confirm'));
    const rejected = await screen.findByTestId('save-rejected');
    expect(rejected.textContent).toContain('northbound[1].settings.broker.password');
    await waitFor(() => expect(screen.queryByTestId('review-dialog')).toBeNull());
    expect(api.revisions).toHaveLength(1);

    fireEvent.click(screen.getByTestId('tab-form'));
    fireEvent.click(screen.getByTestId('section-tab-northbound'));
    fireEvent.click(await screen.findByTestId('select-northbound[1]'));
    const password = await findField('northbound[1].settings.broker.password');
    expect(errorOf(password)).toMatch(/has no secret here to keep/);
  });

  it('keeps edits across the form, YAML and JSON, and reports syntax errors with their line', async () => {
    const api = new FakeConfigApi(nextAgentId(), { documents: [simulatorDoc()] });
    renderEditor(api);
    type(await findField('devices[0].name'), 'sim-2');

    fireEvent.click(screen.getByTestId('tab-raw'));
    const raw = () => screen.getByTestId('raw-text') as HTMLTextAreaElement;
    const yaml = parseYaml(raw().value) as ReturnType<typeof simulatorDoc>;
    expect(yaml.devices[0]?.name).toBe('sim-2');
    yaml.devices[0]!.groups[0]!.intervalMs = 250;
    type(raw(), toYaml(yaml));

    fireEvent.click(screen.getByRole('radio', { name: 'JSON' }));
    const json = JSON.parse(raw().value) as ReturnType<typeof simulatorDoc>;
    expect(json.devices[0]?.name).toBe('sim-2');
    expect(json.devices[0]?.groups[0]?.intervalMs).toBe(250);
    json.devices[0]!.groups[0]!.tags[0]!.unit = 'K';
    type(raw(), JSON.stringify(json, null, 2));

    // A syntax error: shown with its line, and the form waits until it is fixed.
    const broken = JSON.stringify(json, null, 2).replace('"name": "sim-2",', '"name": "sim-2"');
    type(raw(), broken);
    const error = await screen.findByTestId('raw-syntax-error');
    const line = broken.split('\n').findIndex((l) => l.includes('"sim-2"')) + 2;
    expect(error.textContent).toContain(`line ${line}`);
    fireEvent.click(screen.getByTestId('tab-form'));
    expect(screen.getByTestId('view-blocked').textContent).toContain(`line ${line}`);
    expect(screen.getByTestId('raw-text')).toBeTruthy();
    type(raw(), JSON.stringify(json, null, 2));

    fireEvent.click(screen.getByTestId('tab-form'));
    expect((await findField('devices[0].name')).value).toBe('sim-2');
    await openGroup(0, 0);
    expect(field('devices[0].groups[0].intervalMs').value).toBe('250');
    expect(field('devices[0].groups[0].tags[0].unit').value).toBe('K');
  });

  it("reviews the API's diff against the applied revision, saves with the comment, and follows the revision until applied", async () => {
    const api = new FakeConfigApi(nextAgentId(), { documents: [simulatorDoc()] });
    renderEditor(api);
    await openGroup(0, 0);
    type(await findField('devices[0].groups[0].intervalMs'), '2000');
    await waitFor(() => expect((screen.getByTestId('config-save') as HTMLButtonElement).disabled).toBe(false));

    fireEvent.click(screen.getByTestId('config-save'));
    const dialog = await screen.findByTestId('review-dialog');
    const changes = await within(dialog).findByTestId('review-changes');
    expect(within(dialog).getByTestId('review-summary').textContent).toBe('1 change against applied revision 1:');
    expect(changes.textContent).toContain('devices[0].groups[0].intervalMs');
    expect(changes.textContent).toContain('1000');
    expect(changes.textContent).toContain('2000');
    const diffRequest = lastRequest(api, 'POST');
    expect(diffRequest?.path).toBe(`/agents/${api.agentId}/config/diff`);
    expect(Object.keys(diffRequest?.body as object)).toEqual(['document']);

    type(within(dialog).getByTestId('review-comment'), 'slower polling for line 3');
    fireEvent.click(within(dialog).getByTestId('review-confirm'));
    await waitFor(() => expect(screen.queryByTestId('review-dialog')).toBeNull());

    const put = lastRequest(api, 'PUT');
    expect(put?.path).toBe(`/agents/${api.agentId}/config`);
    const body = put?.body as { document: ReturnType<typeof simulatorDoc>; comment: string };
    expect(body.comment).toBe('slower polling for line 3');
    expect(body.document.devices[0]?.groups[0]?.intervalMs).toBe(2000);
    expect(api.desired?.revision).toBe(2);
    expect(api.desired?.comment).toBe('slower polling for line 3');

    await waitFor(() => expect(screen.getByTestId('desired-revision').textContent).toBe('2'));
    expect(screen.getByTestId('save-progress').textContent).toContain('Waiting for the agent to apply it');
    expect(screen.getByTestId('editing-revision').textContent).toContain('Editing revision 2');
    expect(screen.queryByTestId('unsaved')).toBeNull();

    api.apply();
    await waitFor(() => expect(screen.getByTestId('applied-revision').textContent).toBe('2'), { timeout: 4_000 });
    expect(screen.getByTestId('save-progress').textContent).toContain('the agent has applied it');
  });

  it('keeps secrets as ******** unless a new value is typed', async () => {
    const api = new FakeConfigApi(nextAgentId(), { documents: [secretsDoc()] });
    renderEditor(api);
    const opcPassword = await findField('devices[0].settings.userIdentity.password');
    expect(opcPassword.type).toBe('password');
    expect(opcPassword.value).toBe('');
    expect(opcPassword.placeholder).toMatch(/Stored, unchanged/);

    // Typed, then taken back: the stored secret is kept again.
    type(opcPassword, 'typo');
    expect(opcPassword.dataset.secret).toBe('changed');
    fireEvent.click(screen.getByRole('button', { name: 'Keep the stored secret' }));
    expect(field('devices[0].settings.userIdentity.password').dataset.secret).toBe('kept');

    // A change elsewhere: the secrets go back as the marker, and the stored ones are kept.
    type(field('devices[0].settings.userIdentity.username'), 'operator');
    fireEvent.click(screen.getByTestId('section-tab-northbound'));
    const mqttPassword = await findField('northbound[0].settings.broker.password');
    expect(mqttPassword.value).toBe('');
    type(mqttPassword, 'new-mqtt-pass');

    await waitFor(() => expect((screen.getByTestId('config-save') as HTMLButtonElement).disabled).toBe(false));
    fireEvent.click(screen.getByTestId('config-save'));
    const dialog = await screen.findByTestId('review-dialog');
    const changes = await within(dialog).findByTestId('review-changes');
    const secretRow = within(changes).getByText('northbound[0].settings.broker.password').closest('tr') as HTMLElement;
    expect(secretRow.textContent).toContain('secret (hidden)');
    expect(changes.textContent).not.toContain('new-mqtt-pass');
    expect(changes.textContent).not.toContain('opc-pass');
    fireEvent.click(within(dialog).getByTestId('review-confirm'));
    await waitFor(() => expect(screen.queryByTestId('review-dialog')).toBeNull());

    const body = lastRequest(api, 'PUT')?.body as { document: ReturnType<typeof secretsDoc> };
    expect(body.document.devices[0]?.settings.userIdentity.password).toBe(SECRET_MARKER);
    expect(body.document.northbound[0]?.settings.broker.password).toBe('new-mqtt-pass');
    const stored = api.desired?.document as unknown as ReturnType<typeof secretsDoc>;
    expect(stored.devices[0]?.settings.userIdentity).toEqual({ type: 'username', username: 'operator', password: 'opc-pass' });
    expect(stored.northbound[0]?.settings.broker.password).toBe('new-mqtt-pass');

    // The saved revision comes back redacted; the raw view shows the marker, never the secret.
    fireEvent.click(screen.getByTestId('tab-raw'));
    const text = (screen.getByTestId('raw-text') as HTMLTextAreaElement).value;
    expect(text).toContain(SECRET_MARKER);
    expect(text).not.toContain('new-mqtt-pass');
  });

  it('is read only without the right to edit', async () => {
    const api = new FakeConfigApi(nextAgentId(), { documents: [secretsDoc(), simulatorDoc()] });
    renderEditor(api, false);
    const name = await findField('devices[0].name');
    expect(name.readOnly).toBe(true);
    expect((field('devices[0].driver') as unknown as HTMLSelectElement).disabled).toBe(true);
    expect(field('devices[0].enabled').disabled).toBe(true);
    await openGroup(0, 0);
    expect(field('devices[0].groups[0].tags[0].address').readOnly).toBe(true);
    expect((field('devices[0].groups[0].tags[0].type') as unknown as HTMLSelectElement).disabled).toBe(true);
    for (const label of [/Review and save/, /^Add /, /^Remove/, /Import CSV/, /Discard/, /Clear /]) {
      expect(screen.queryAllByRole('button', { name: label })).toHaveLength(0);
    }
    expect(screen.getByRole('button', { name: 'Export CSV' })).toBeTruthy();
    for (const input of document.querySelectorAll<HTMLInputElement>('input[type="text"], input:not([type]), textarea')) {
      if (input.dataset.path) expect(input.readOnly).toBe(true);
    }

    fireEvent.click(screen.getByTestId('section-tab-northbound'));
    expect((await findField('northbound[0].name')).readOnly).toBe(true);
    expect(screen.queryAllByRole('button', { name: /^Add |^Remove/ })).toHaveLength(0);

    fireEvent.click(screen.getByTestId('tab-raw'));
    expect((screen.getByTestId('raw-text') as HTMLTextAreaElement).readOnly).toBe(true);
    expect(api.requests.filter((r) => r.method !== 'GET')).toEqual([]);
  });

  it('follows a rollback made in the History tab, and with unsaved edits offers to load it instead', async () => {
    const renamed = simulatorDoc();
    renamed.devices[0]!.name = 'sim-b';
    renamed.northbound[0]!.subscriptions[0]!.device = 'sim-b';
    const api = new FakeConfigApi(nextAgentId(), { documents: [simulatorDoc(), renamed] });
    renderEditor(api);
    expect((await findField('devices[0].name')).value).toBe('sim-b');

    const rollBackTo = async (revision: number) => {
      fireEvent.click(screen.getByTestId('tab-history'));
      fireEvent.click(await screen.findByTestId(`revision-rollback-${revision}`));
      fireEvent.click(await screen.findByTestId('rollback-confirm'));
      await screen.findByTestId('rollback-done');
      fireEvent.click(screen.getByTestId('tab-form'));
    };

    // Nothing edited: the editor shows the new desired revision.
    await rollBackTo(1);
    await waitFor(() => expect(field('devices[0].name').value).toBe('sim'));
    expect(screen.getByTestId('editing-revision').textContent).toContain('Editing revision 3');

    // Edits in progress are kept; the newer revision is offered.
    type(field('devices[0].name'), 'mine');
    await rollBackTo(2);
    const newer = await screen.findByTestId('newer-revision');
    expect(newer.textContent).toContain('Revision 4 was saved since you started editing');
    expect(field('devices[0].name').value).toBe('mine');
    fireEvent.click(within(newer).getByRole('button', { name: 'Load revision 4 and discard my changes' }));
    await waitFor(() => expect(field('devices[0].name').value).toBe('sim-b'));
    expect(screen.queryByTestId('unsaved')).toBeNull();
  });

  it('pages a long tag list and leads from a listed problem to its field', async () => {
    const withTags = (bad: number) => {
      const doc = simulatorDoc();
      const tags = Array.from({ length: 60 }, (_, i) => ({ name: `t${i + 1}`, address: i === bad ? 'nosuchfn' : 'counter', type: 'uint32' }));
      doc.devices[0]!.groups[0]!.tags = tags as (typeof doc.devices)[0]['groups'][0]['tags'];
      return doc;
    };
    const api = new FakeConfigApi(nextAgentId(), { documents: [withTags(-1)] });
    const many = withTags(54);
    // Stored documents are valid: the bad address arrives through the raw view.
    renderEditor(api);
    await openGroup(0, 0);
    expect(field('devices[0].groups[0].tags[0].name').value).toBe('t1');
    expect(queryField('devices[0].groups[0].tags[54].address')).toBeNull();
    expect(screen.getByRole('button', { name: '3' })).toBeTruthy();

    fireEvent.click(screen.getByTestId('tab-raw'));
    type(screen.getByTestId('raw-text'), toYaml(many));
    fireEvent.click(screen.getByTestId('tab-form'));
    const summary = await screen.findByTestId('issue-summary');
    const link = within(summary).getByRole('button', { name: 'devices[0].groups[0].tags[54].address' });
    fireEvent.click(link);
    const address = await findField('devices[0].groups[0].tags[54].address');
    await waitFor(() => expect(document.activeElement).toBe(address));
    expect(errorOf(address)).toBe(protocolMessage(many, 'devices[0].groups[0].tags[54].address'));

    fireEvent.click(screen.getByLabelText('Only tags with problems'));
    expect(screen.getAllByTestId(/^row-devices\[0\]\.groups\[0\]\.tags\[\d+\]$/)).toHaveLength(1);
  });

  it('says in words why the config cannot be loaded', async () => {
    const api = new FakeConfigApi(nextAgentId(), { documents: [simulatorDoc()] });
    const failing: typeof fetch = async (input, init) =>
      String(input).endsWith('/config') ? new Response(JSON.stringify({ statusCode: 503, code: 'UNAVAILABLE', message: 'the database is not reachable' }), { status: 503 }) : api.fetch(input, init);
    const queries = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    render(
      <MantineProvider>
        <QueryClientProvider client={queries}>
          <ConfigEditor client={new ApiClient('token', failing)} agentId={api.agentId} canEdit />
        </QueryClientProvider>
      </MantineProvider>,
    );
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Cannot load the config');
    expect(alert.textContent).toContain('the database is not reachable');
    expect(screen.getByRole('button', { name: 'Try again' })).toBeTruthy();
  });

  it('starts from an empty document when the agent has no config yet', async () => {
    const api = new FakeConfigApi(nextAgentId());
    renderEditor(api);
    expect((await screen.findByTestId('editing-revision')).textContent).toContain('no config yet');
    expect(screen.getByText(/No devices yet/)).toBeTruthy();
    fireEvent.click(screen.getByTestId('add-devices'));
    expect((await findField('devices[0].name')).value).toBe('device-1');
    fireEvent.click(screen.getByTestId('add-devices[0].groups'));
    // A new group needs its interval: the form asks instead of inventing one.
    await waitFor(() => expect(errorOf(field('devices[0].groups[0].intervalMs'))).toBe('is required'));
    type(field('devices[0].groups[0].intervalMs'), '1000');

    // The first revision is compared with an empty config: the device shows as added.
    await waitFor(() => expect((screen.getByTestId('config-save') as HTMLButtonElement).disabled).toBe(false));
    fireEvent.click(screen.getByTestId('config-save'));
    const dialog = await screen.findByTestId('review-dialog');
    await within(dialog).findByTestId('review-changes');
    expect(within(dialog).getByTestId('review-summary').textContent).toContain('against an empty config');
    expect(within(dialog).getByText('devices[0]').closest('tr')?.textContent).toContain('added');
    fireEvent.click(within(dialog).getByTestId('review-confirm'));
    await waitFor(() => expect(api.desired?.revision).toBe(1));
    await waitFor(() => expect(screen.getByTestId('editing-revision').textContent).toContain('Editing revision 1'));
  });
});
