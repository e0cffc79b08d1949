import { useRef, useState } from 'react';
import { Alert, Button, FileButton, Group, Modal, Radio, ScrollArea, Stack, Table, Text } from '@mantine/core';
import { DeviceSchema, TagSchema, parseWith, type TagInput } from '@edgefleet/protocol/browser';
import { isObject, type Json, type Path } from './doc-path';
import { useEditorActions } from './editor-context';
import { exportNeuronCsv, importNeuronCsv, type NeuronCsvImport } from './neuron-csv';

export interface TagCsvControlsProps {
  device: Json;
  deviceName: string;
  groupName: string;
  /** Where the group's tags are. */
  path: Path;
  tags: readonly Json[];
}

/** `press 1`, `line/2` → a file name every system accepts. */
export function csvFileName(deviceName: string, groupName: string): string {
  const clean = (s: string) => s.replace(/[\\/:*?"<>|\s]+/g, '_') || 'unnamed';
  return `${clean(deviceName)}-${clean(groupName)}-tags.csv`;
}

function download(text: string, fileName: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

interface Pending {
  fileName: string;
  result: NeuronCsvImport;
}

/**
 * A group's tags as a Neuron tag sheet (CSV): export downloads `<device>-<group>-tags.csv`;
 * import reads one, shows the rows it could not take, and replaces or appends as the user chooses.
 * Tags still invalid in the editor are left out of an export (and counted).
 */
export function TagCsvControls({ device, deviceName, groupName, path, tags }: TagCsvControlsProps) {
  const { readOnly, set } = useEditorActions();
  const [pending, setPending] = useState<Pending | null>(null);
  const [mode, setMode] = useState<'replace' | 'append' | null>(null);
  const [notice, setNotice] = useState<{ color: string; text: string } | null>(null);
  const [readError, setReadError] = useState<string | null>(null);
  // Cleared after each read, so choosing the same file again (after fixing it) reads it again.
  const resetFile = useRef<() => void>(null);

  const exportTags = () => {
    const valid = tags.filter((t) => parseWith(TagSchema, t).ok) as unknown as TagInput[];
    download(exportNeuronCsv(valid, { group: groupName }), csvFileName(deviceName, groupName));
    const skipped = tags.length - valid.length;
    setNotice(skipped > 0 ? { color: 'yellow', text: `Exported ${valid.length} tags; ${skipped} with problems were left out.` } : { color: 'green', text: `Exported ${valid.length} tags.` });
  };

  const read = async (file: File | null) => {
    if (!file) return;
    resetFile.current?.();
    setReadError(null);
    try {
      const text = await file.text();
      const parsedDevice = parseWith(DeviceSchema, device);
      const result = importNeuronCsv(text, parsedDevice.ok ? { device: parsedDevice.value } : {});
      setMode(tags.length === 0 ? 'replace' : null);
      setPending({ fileName: file.name, result });
    } catch (err) {
      setReadError(`Cannot read ${file.name}: ${(err as Error).message}`);
    }
  };

  const apply = () => {
    if (!pending || !mode) return;
    const imported = pending.result.tags as unknown as Json[];
    set(path, mode === 'replace' ? imported : [...tags, ...imported]);
    setNotice({ color: 'green', text: `${mode === 'replace' ? 'Replaced the tags with' : 'Appended'} ${imported.length} tags from ${pending.fileName}. Review them and save.` });
    setPending(null);
  };

  const existing = new Set(tags.map((t) => (isObject(t) && typeof t.name === 'string' ? t.name : '')));
  const clashes = pending ? pending.result.tags.filter((t) => existing.has(t.name)).length : 0;

  return (
    <>
      <Button variant="default" size="xs" onClick={exportTags} disabled={tags.length === 0} data-testid={`export-csv-${groupKey(path)}`}>
        Export CSV
      </Button>
      {!readOnly && (
        <FileButton onChange={(f) => void read(f)} accept=".csv,text/csv,text/plain" resetRef={resetFile}>
          {(props) => (
            <Button {...props} variant="default" size="xs" data-testid={`import-csv-${groupKey(path)}`}>
              Import CSV
            </Button>
          )}
        </FileButton>
      )}
      {(notice || readError) && (
        <Text size="xs" c={readError ? 'red' : notice?.color === 'yellow' ? 'orange' : 'dimmed'} role="status" w="100%">
          {readError ?? notice?.text}
        </Text>
      )}
      <Modal opened={pending !== null} onClose={() => setPending(null)} title={`Import tags into group ${groupName}`} size="lg">
        {pending && (
          <Stack gap="sm" data-testid="csv-import-dialog">
            <Text size="sm">
              {pending.result.tags.length} {pending.result.tags.length === 1 ? 'tag' : 'tags'} read from {pending.fileName}.
            </Text>
            {pending.result.issues.length > 0 && (
              <Alert color="yellow" title={`${pending.result.issues.length} ${pending.result.issues.length === 1 ? 'row was' : 'rows were'} not imported`}>
                <ScrollArea.Autosize mah={220}>
                  <Table verticalSpacing={2} data-testid="csv-import-issues">
                    <Table.Thead>
                      <Table.Tr>
                        <Table.Th w={60}>Line</Table.Th>
                        <Table.Th>Problem</Table.Th>
                      </Table.Tr>
                    </Table.Thead>
                    <Table.Tbody>
                      {pending.result.issues.map((issue, i) => (
                        <Table.Tr key={i}>
                          <Table.Td>{issue.row}</Table.Td>
                          <Table.Td>{issue.message}</Table.Td>
                        </Table.Tr>
                      ))}
                    </Table.Tbody>
                  </Table>
                </ScrollArea.Autosize>
              </Alert>
            )}
            {pending.result.tags.length > 0 && tags.length > 0 && (
              <Radio.Group label={`The group has ${tags.length} ${tags.length === 1 ? 'tag' : 'tags'} already. What should the import do?`} value={mode} onChange={(v) => setMode(v as 'replace' | 'append')}>
                <Stack gap={6} mt={6}>
                  <Radio value="replace" label={`Replace the ${tags.length} tags with the ${pending.result.tags.length} imported`} data-testid="csv-import-replace" />
                  <Radio value="append" label={`Append the ${pending.result.tags.length} imported tags`} data-testid="csv-import-append" />
                </Stack>
              </Radio.Group>
            )}
            {mode === 'append' && clashes > 0 && (
              <Text size="sm" c="orange">
                {clashes} imported {clashes === 1 ? 'name is' : 'names are'} already in the group; appending makes duplicates you will have to rename.
              </Text>
            )}
            <Group justify="flex-end">
              <Button variant="default" onClick={() => setPending(null)}>
                Cancel
              </Button>
              <Button onClick={apply} disabled={pending.result.tags.length === 0 || mode === null} data-testid="csv-import-confirm">
                Import {pending.result.tags.length} {pending.result.tags.length === 1 ? 'tag' : 'tags'}
              </Button>
            </Group>
          </Stack>
        )}
      </Modal>
    </>
  );
}

/** `devices[0].groups[1].tags` → `0-1`, for test ids. */
function groupKey(path: Path): string {
  return path.filter((p) => typeof p === 'number').join('-');
}
