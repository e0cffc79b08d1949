// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { MantineProvider } from '@mantine/core';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { ApiClient } from '../api/client';
import { ConfigEditor } from './ConfigEditor';
import { FakeConfigApi } from './config-api.fake';
import { csvFileName } from './TagCsvControls';
import { importNeuronCsv } from './neuron-csv';

if (!('fonts' in document)) Object.defineProperty(document, 'fonts', { value: new EventTarget() });

const doc = () => ({
  devices: [
    {
      name: 'press 1',
      driver: 'simulator',
      groups: [
        {
          name: 'fast',
          intervalMs: 1000,
          tags: [
            { name: 'temp', address: 'sine(period=5000)', type: 'float64', unit: '°C' },
            { name: 'count', address: 'counter', type: 'uint32' },
          ],
        },
      ],
    },
  ],
});

let seq = 100;
function renderEditor(canEdit = true) {
  const api = new FakeConfigApi(`00000000-0000-4000-8000-${String(++seq).padStart(12, '0')}`, { documents: [doc()] });
  const queries = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <MantineProvider>
      <QueryClientProvider client={queries}>
        <ConfigEditor client={new ApiClient('token', api.fetch)} agentId={api.agentId} canEdit={canEdit} />
      </QueryClientProvider>
    </MantineProvider>,
  );
  return api;
}

const tagNames = () =>
  Array.from(document.querySelectorAll<HTMLInputElement>('input[data-path$=".name"]'))
    .filter((i) => /tags\[\d+\]\.name$/.test(i.dataset.path ?? ''))
    .map((i) => i.value);

function chooseFile(text: string, name = 'tags.csv') {
  const input = document.querySelector<HTMLInputElement>('input[type="file"]');
  if (!input) throw new Error('no file input');
  fireEvent.change(input, { target: { files: [new File([text], name, { type: 'text/csv' })] } });
}

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

describe('tag CSV import and export per group', () => {
  it('downloads the group as a Neuron tag sheet named after the device and group', async () => {
    renderEditor(false);
    let blob: Blob | undefined;
    let fileName = '';
    vi.spyOn(URL, 'createObjectURL').mockImplementation((b) => {
      blob = b as Blob;
      return 'blob:tags';
    });
    vi.spyOn(URL, 'revokeObjectURL').mockImplementation(() => undefined);
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      fileName = this.download;
    });
    fireEvent.click(await screen.findByTestId('export-csv-0-0'));
    expect(fileName).toBe('press_1-fast-tags.csv');
    expect(fileName).toBe(csvFileName('press 1', 'fast'));
    const back = importNeuronCsv(await (blob as Blob).text());
    expect(back.issues).toEqual([]);
    expect(back.groups).toEqual(['fast']);
    expect(back.tags.map((t) => [t.name, t.address, t.type, t.unit])).toEqual([
      ['temp', 'sine(period=5000)', 'float64', '°C'],
      ['count', 'counter', 'uint32', undefined],
    ]);
  });

  it("imports a sheet: shows the rows' problems, then appends or replaces as chosen", async () => {
    renderEditor();
    await screen.findByTestId('import-csv-0-0');
    const sheet = ['name,address,attribute,type,unit', 'level,"random(min=0, max=5)",Read,FLOAT,m', 'broken,nosuchfn,Read,FLOAT,', 'setpoint,memory(initial=3),Read Write,INT16,'].join('\n');
    chooseFile(sheet);
    const dialog = await screen.findByTestId('csv-import-dialog');
    expect(dialog.textContent).toContain('2 tags read from tags.csv');
    const issues = within(dialog).getByTestId('csv-import-issues');
    const row = within(issues).getByText(/unknown simulator function 'nosuchfn'/).closest('tr') as HTMLElement;
    // The problem is on line 3 of the file.
    expect(row.querySelector('td')?.textContent).toBe('3');
    expect(within(issues).getAllByRole('row')).toHaveLength(2);
    // The group has tags: the import asks whether to replace or append them.
    const confirm = within(dialog).getByTestId('csv-import-confirm') as HTMLButtonElement;
    expect(confirm.disabled).toBe(true);
    fireEvent.click(within(dialog).getByLabelText(/Append the 2 imported tags/));
    fireEvent.click(confirm);
    await waitFor(() => expect(screen.queryByTestId('csv-import-dialog')).toBeNull());
    expect(tagNames()).toEqual(['temp', 'count', 'level', 'setpoint']);
    expect(screen.getByTestId('unsaved')).toBeTruthy();

    chooseFile(sheet, 'again.csv');
    const again = await screen.findByTestId('csv-import-dialog');
    fireEvent.click(within(again).getByLabelText(/Replace the 4 tags/));
    fireEvent.click(within(again).getByTestId('csv-import-confirm'));
    await waitFor(() => expect(tagNames()).toEqual(['level', 'setpoint']));
  });

  it('offers no import without the right to edit', async () => {
    renderEditor(false);
    expect(await screen.findByTestId('export-csv-0-0')).toBeTruthy();
    expect(screen.queryByTestId('import-csv-0-0')).toBeNull();
    expect(document.querySelector('input[type="file"]')).toBeNull();
  });
});
