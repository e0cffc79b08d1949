// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { MantineProvider } from '@mantine/core';
import { QueryClient, QueryClientProvider, focusManager } from '@tanstack/react-query';
import type { ConfigRevisionView, GroupValues } from '@edgefleet/protocol';
import { ApiClient } from '../api/client';
import { LiveValues } from './LiveValues';

const AGENT = '7d0f6c1e-1111-4222-8333-944445555666';
const T0 = Date.parse('2026-12-03T10:00:00.000Z');

const json = (body: unknown, status = 200): Response => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

const configView = (devices: unknown[]): ConfigRevisionView => ({
  agentId: AGENT,
  revision: 4,
  sha256: 'a'.repeat(64),
  document: { schemaVersion: 1, devices, northbound: [] },
  author: 'admin',
  comment: null,
  rollbackOf: null,
  createdAt: '2026-12-03T09:00:00.000Z',
});

const plc = {
  name: 'plc',
  driver: 'modbus-tcp',
  settings: { host: 'plc.local', port: 502 },
  groups: [
    {
      name: 'fast',
      intervalMs: 1000,
      tags: [
        { name: 'temp', address: '1!30001', type: 'float32', unit: '°C', precision: 1 },
        { name: 'pressure', address: '1!30003', type: 'float32', unit: 'bar' },
        { name: 'setpoint', address: '1!40001', type: 'int16', access: 'rw', unit: '°C' },
        { name: 'pump', address: '1!00001', type: 'bool', access: 'rw' },
      ],
    },
  ],
};

const group = (timestamp: number, values: GroupValues['values'], errors: GroupValues['errors'] = {}): GroupValues => ({ device: 'plc', group: 'fast', timestamp, values, errors });

/**
 * The control plane as this screen sees it: the desired config, the agent's latest values (what
 * `values` answers now, changed by the test between polls) and the write route.
 */
function fakePlane(initial: { config?: () => Response; values: () => Response }) {
  const plane = {
    config: initial.config ?? (() => json(configView([plc]))),
    values: initial.values,
    write: (): Response => json({ error: 'not set' }, 500),
    valuesCalls: 0,
    writes: [] as unknown[],
    fetch: (async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = new URL(String(input), 'http://console.test');
      const method = init?.method ?? 'GET';
      if (method === 'GET' && url.pathname === `/api/v1/agents/${AGENT}/config`) return plane.config();
      if (method === 'GET' && url.pathname === `/api/v1/agents/${AGENT}/values`) {
        plane.valuesCalls++;
        return plane.values();
      }
      if (method === 'POST' && url.pathname === `/api/v1/agents/${AGENT}/tags/write`) {
        plane.writes.push(JSON.parse(String(init?.body)));
        return plane.write();
      }
      return json({ code: 'NOT_FOUND', message: `no route ${method} ${url.pathname}` }, 404);
    }) as typeof fetch,
  };
  return plane;
}

const valuesOf = (...groups: GroupValues[]) => () => json({ agentId: AGENT, groups });

function renderLive(plane: ReturnType<typeof fakePlane>, canWrite = true) {
  const queries = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <MantineProvider>
      <QueryClientProvider client={queries}>
        <LiveValues client={new ApiClient('token', plane.fetch)} agentId={AGENT} canWrite={canWrite} pollIntervalMs={40} />
      </QueryClientProvider>
    </MantineProvider>,
  );
}

const text = (testId: string) => screen.getByTestId(testId).textContent;

afterEach(cleanup);

describe('LiveValues', () => {
  it('shows each tag in its unit and updates the same rows between polls', async () => {
    const plane = fakePlane({ values: valuesOf(group(T0, { temp: 21.46, pressure: 1.25, setpoint: 60, pump: true })) });
    renderLive(plane);
    await waitFor(() => expect(text('value-plc/fast/temp')).toBe('21.5 °C'));
    expect(text('value-plc/fast/pressure')).toBe('1.25 bar');
    expect(text('value-plc/fast/pump')).toBe('true');
    expect(text('quality-plc/fast/temp')).toBe('Good');
    const row = screen.getByTestId('row-plc/fast/temp');
    expect(within(row).getByTitle(/2026-12-03T10:00:00.000Z/)).toBeTruthy();
    expect(text('live-status')).toBe('Live');

    plane.values = valuesOf(group(T0 + 1000, { temp: 22.04, pressure: 1.3, setpoint: 60, pump: false }));
    await waitFor(() => expect(text('value-plc/fast/temp')).toBe('22.0 °C'));
    expect(text('value-plc/fast/pump')).toBe('false');
    // Updated in place: the same row element, not a new table.
    expect(screen.getByTestId('row-plc/fast/temp')).toBe(row);
    expect(plane.valuesCalls).toBeGreaterThanOrEqual(2);
  });

  it('builds each numeric tag a trend from the reads it sees, once per read', async () => {
    const plane = fakePlane({ values: valuesOf(group(T0, { temp: 20, pressure: 1 })) });
    renderLive(plane);
    await waitFor(() => expect(screen.getByTestId('trend-plc/fast/temp').getAttribute('data-points')).toBe('1'));
    // Polls that return the same read add nothing.
    const calls = plane.valuesCalls;
    await waitFor(() => expect(plane.valuesCalls).toBeGreaterThan(calls + 2));
    expect(screen.getByTestId('trend-plc/fast/temp').getAttribute('data-points')).toBe('1');

    plane.values = valuesOf(group(T0 + 1000, { temp: 25, pressure: 1 }));
    await waitFor(() => expect(screen.getByTestId('trend-plc/fast/temp').getAttribute('data-points')).toBe('2'));
    plane.values = valuesOf(group(T0 + 2000, { temp: 18, pressure: 1 }));
    await waitFor(() => expect(screen.getByTestId('trend-plc/fast/temp').getAttribute('data-points')).toBe('3'));
    expect(screen.getByTestId('trend-plc/fast/temp').getAttribute('aria-label')).toBe('temp, last values: latest 18, min 18, max 25 (3 points)');
  });

  it('says in words why a tag has no value', async () => {
    const plane = fakePlane({ values: valuesOf(group(T0, { temp: 20 }, { pressure: 3022, setpoint: 3027 })) });
    renderLive(plane);
    await waitFor(() => expect(text('quality-plc/fast/pressure')).toContain('No response (3022)'));
    expect(text('quality-plc/fast/pressure')).toContain('The device did not answer');
    expect(text('quality-plc/fast/setpoint')).toContain('Read failed (3027)');
    expect(text('value-plc/fast/pressure')).toBe('—');
    expect(text('group-toggle-plc/fast')).toContain('2 errors');
  });

  it('keeps the last values, dimmed, when the agent goes offline or does not answer, and says why', async () => {
    const plane = fakePlane({ values: valuesOf(group(T0, { temp: 21.5 })) });
    renderLive(plane);
    await waitFor(() => expect(text('value-plc/fast/temp')).toBe('21.5 °C'));

    plane.values = () => json({ code: 'AGENT_OFFLINE', message: `Agent ${AGENT} is offline` }, 409);
    const alert = await screen.findByTestId('live-error');
    expect(alert.textContent).toContain('The agent is offline');
    expect(alert.textContent).toContain('The values below are the last ones received');
    expect(alert.textContent).toContain(`Agent ${AGENT} is offline`);
    expect(text('live-status')).toBe('Agent offline');
    expect(text('value-plc/fast/temp')).toBe('21.5 °C');
    expect(screen.getByRole('table').getAttribute('style')).toContain('opacity: 0.6');

    plane.values = () => json({ code: 'AGENT_TIMEOUT', message: 'The agent did not answer within 5000 ms' }, 504);
    await waitFor(() => expect(text('live-error')).toContain('The agent did not answer in time'));
    expect(text('value-plc/fast/temp')).toBe('21.5 °C');

    plane.values = valuesOf(group(T0 + 5000, { temp: 23 }));
    await waitFor(() => expect(text('value-plc/fast/temp')).toBe('23.0 °C'));
    expect(screen.queryByTestId('live-error')).toBeNull();
    expect(text('live-status')).toBe('Live');
  });

  it('shows the tags from the config, not a blank screen, when the agent is offline from the start', async () => {
    const plane = fakePlane({ values: () => json({ code: 'AGENT_OFFLINE', message: 'offline' }, 409) });
    renderLive(plane);
    expect((await screen.findByTestId('live-error')).textContent).toContain('The agent is offline');
    expect(await screen.findByTestId('row-plc/fast/temp')).toBeTruthy();
    expect(text('value-plc/fast/temp')).toBe('—');
    expect(text('quality-plc/fast/temp')).toBe('No value yet');
  });

  it('validates the value against the tag type before writing, posts the write and shows the new value', async () => {
    let setpoint = 60;
    const plane = fakePlane({ values: () => valuesOf(group(T0 + setpoint, { temp: 20, setpoint }))() });
    plane.write = () => {
      setpoint = 55;
      return json({ device: 'plc', group: 'fast', tag: 'setpoint', value: 55, durationMs: 12.4 });
    };
    renderLive(plane);
    await waitFor(() => expect(text('value-plc/fast/setpoint')).toBe('60 °C'));
    fireEvent.click(screen.getByRole('button', { name: 'Write setpoint' }));

    const dialog = await screen.findByRole('dialog');
    const input = within(dialog).getByLabelText(/New value/);
    expect((input as HTMLInputElement).value).toBe('60');
    fireEvent.change(input, { target: { value: '12.5' } });
    expect(dialog.textContent).toContain('int16 takes a whole number from -32768 to 32767');
    fireEvent.change(input, { target: { value: '40000' } });
    expect(dialog.textContent).toContain('40000 is outside -32768 to 32767, the range of int16');
    expect((within(dialog).getByTestId('write-submit') as HTMLButtonElement).disabled).toBe(true);
    expect(plane.writes).toEqual([]);

    fireEvent.change(input, { target: { value: '55' } });
    fireEvent.click(within(dialog).getByTestId('write-submit'));
    expect((await within(dialog).findByTestId('write-result')).textContent).toContain('The device acknowledged 55 °C in 12 ms');
    expect(plane.writes).toEqual([{ device: 'plc', group: 'fast', tag: 'setpoint', value: 55 }]);
    await waitFor(() => expect(text('value-plc/fast/setpoint')).toBe('55 °C'));
    expect(within(dialog).getByTestId('write-current').textContent).toBe('55 °C');
  });

  it('writes a bool with a switch', async () => {
    const plane = fakePlane({ values: valuesOf(group(T0, { pump: false })) });
    plane.write = () => json({ device: 'plc', group: 'fast', tag: 'pump', value: true, durationMs: 3 });
    renderLive(plane);
    fireEvent.click(await screen.findByRole('button', { name: 'Write pump' }));
    const dialog = await screen.findByRole('dialog');
    fireEvent.click(within(dialog).getByRole('switch', { name: 'New value' }));
    fireEvent.click(within(dialog).getByTestId('write-submit'));
    await within(dialog).findByText(/The device acknowledged true/);
    expect(plane.writes).toEqual([{ device: 'plc', group: 'fast', tag: 'pump', value: true }]);
  });

  it("shows the device's refusal with its code, and warns that a timed-out write may have happened", async () => {
    const plane = fakePlane({ values: valuesOf(group(T0, { setpoint: 60 })) });
    plane.write = () => json({ code: 'TAG_NOT_WRITABLE', message: "tag 'setpoint' is read-only on the device" }, 422);
    renderLive(plane);
    fireEvent.click(await screen.findByRole('button', { name: 'Write setpoint' }));
    const dialog = await screen.findByRole('dialog');
    fireEvent.change(within(dialog).getByLabelText(/New value/), { target: { value: '61' } });
    fireEvent.click(within(dialog).getByTestId('write-submit'));
    const result = await within(dialog).findByTestId('write-result');
    expect(result.textContent).toContain('Not written: The tag is not writable');
    expect(result.textContent).toContain("tag 'setpoint' is read-only on the device");
    expect(result.textContent).toContain('TAG_NOT_WRITABLE · HTTP 422');

    plane.write = () => json({ code: 'AGENT_TIMEOUT', message: 'The agent did not answer within 10000 ms' }, 504);
    fireEvent.click(within(dialog).getByTestId('write-submit'));
    await waitFor(() => expect(within(dialog).getByTestId('write-result').textContent).toContain('The write may still have reached the device'));
    expect(within(dialog).getByTestId('write-result').textContent).toContain('AGENT_TIMEOUT · HTTP 504');
    expect(plane.writes).toHaveLength(2);
  });

  it('offers no write to a user who may not write, nor on read-only tags', async () => {
    const plane = fakePlane({ values: valuesOf(group(T0, { temp: 20, setpoint: 60 })) });
    renderLive(plane, false);
    await waitFor(() => expect(text('value-plc/fast/setpoint')).toBe('60 °C'));
    expect(screen.queryByRole('button', { name: /^Write/ })).toBeNull();
    expect(screen.queryByTestId('write-plc/fast/setpoint')).toBeNull();
    cleanup();

    renderLive(fakePlane({ values: valuesOf(group(T0, { temp: 20, setpoint: 60 })) }), true);
    expect(await screen.findByTestId('write-plc/fast/setpoint')).toBeTruthy();
    expect(screen.queryByTestId('write-plc/fast/temp')).toBeNull();
    expect(screen.queryByTestId('write-plc/fast/pressure')).toBeNull();
  });

  it('stops asking while the tab is hidden or the user pauses, and picks up again after', async () => {
    const plane = fakePlane({ values: valuesOf(group(T0, { temp: 20 })) });
    renderLive(plane);
    await waitFor(() => expect(text('value-plc/fast/temp')).toBe('20.0 °C'));
    try {
      act(() => focusManager.setFocused(false));
      const hidden = plane.valuesCalls;
      await new Promise((r) => setTimeout(r, 300));
      // At most one poll that was already under way when the tab was hidden.
      expect(plane.valuesCalls).toBeLessThanOrEqual(hidden + 1);
    } finally {
      act(() => focusManager.setFocused(undefined));
    }
    plane.values = valuesOf(group(T0 + 1000, { temp: 21 }));
    await waitFor(() => expect(text('value-plc/fast/temp')).toBe('21.0 °C'));

    fireEvent.click(screen.getByTestId('live-pause'));
    expect(text('live-status')).toBe('Paused');
    const paused = plane.valuesCalls;
    plane.values = valuesOf(group(T0 + 2000, { temp: 22 }));
    await new Promise((r) => setTimeout(r, 300));
    expect(plane.valuesCalls).toBeLessThanOrEqual(paused + 1);
    fireEvent.click(screen.getByTestId('live-pause'));
    await waitFor(() => expect(text('value-plc/fast/temp')).toBe('22.0 °C'));
    expect(text('live-status')).toBe('Live');
  });

  it('filters tags by name and folds a group away', async () => {
    renderLive(fakePlane({ values: valuesOf(group(T0, { temp: 20, pressure: 1 })) }));
    await screen.findByTestId('row-plc/fast/temp');
    fireEvent.change(screen.getByLabelText('Filter tags'), { target: { value: 'PRESS' } });
    expect(screen.queryByTestId('row-plc/fast/temp')).toBeNull();
    expect(screen.getByTestId('row-plc/fast/pressure')).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Filter tags'), { target: { value: 'flow' } });
    expect(text('live-no-match')).toContain('No tag name contains “flow”');
    fireEvent.change(screen.getByLabelText('Filter tags'), { target: { value: '' } });

    const toggle = screen.getByTestId('group-toggle-plc/fast');
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
    fireEvent.click(toggle);
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    expect(screen.queryByTestId('row-plc/fast/temp')).toBeNull();
    fireEvent.click(toggle);
    expect(screen.getByTestId('row-plc/fast/temp')).toBeTruthy();
  });

  it('says what to do when there are no tags, and while loading shows a loader', async () => {
    renderLive(fakePlane({ config: () => json(configView([])), values: valuesOf() }));
    expect((await screen.findByTestId('live-empty')).textContent).toContain('No tags to show');
    cleanup();

    renderLive(fakePlane({ config: () => json({ code: 'NOT_FOUND', message: `Agent ${AGENT} has no config` }, 404), values: valuesOf() }));
    expect((await screen.findByTestId('live-empty')).textContent).toContain('This agent has no configuration yet');
    cleanup();

    const never = fakePlane({ values: valuesOf() });
    never.fetch = (() => new Promise<Response>(() => undefined)) as typeof fetch;
    renderLive(never);
    expect(screen.getByLabelText('Loading live values')).toBeTruthy();
  });
});
