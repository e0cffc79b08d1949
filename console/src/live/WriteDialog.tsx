import { useState, type FormEvent } from 'react';
import { Alert, Button, Group, List, Modal, Stack, Switch, Text, TextInput } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import type { TagValue } from '@edgefleet/protocol';
import type { ApiClient } from '../api/client';
import { writeTag } from './api';
import type { LiveRow, TagInfo } from './catalog';
import { describeWriteProblem } from './problems';
import { describeTagType, formatTagValue } from './tag-format';
import { initialInput, parseWriteValue } from './write-value';

export interface WriteDialogProps {
  client: ApiClient;
  agentId: string;
  /** The tag being written, as the table shows it now (its value keeps updating); null: closed. */
  row: (LiveRow & { info: TagInfo }) | null;
  onClose: () => void;
  /** After the device acknowledged a write: fetch the values again so the table shows it. */
  onWritten: () => void;
}

/** Writes one value to an `rw` tag and shows what the device answered. */
export function WriteDialog({ client, agentId, row, onClose, onWritten }: WriteDialogProps) {
  return (
    <Modal opened={row !== null} onClose={onClose} title={row ? `Write ${row.tag}` : 'Write'} size="md" centered>
      {row && <WriteForm key={row.key} client={client} agentId={agentId} row={row} onClose={onClose} onWritten={onWritten} />}
    </Modal>
  );
}

function WriteForm({ client, agentId, row, onClose, onWritten }: WriteDialogProps & { row: LiveRow & { info: TagInfo } }) {
  const { info } = row;
  const [input, setInput] = useState<string | boolean>(() => initialInput(info, row.value));
  const [checked, setChecked] = useState(false);
  const parsed = parseWriteValue(info, input);
  const write = useMutation({
    mutationFn: (value: TagValue) => writeTag(client, agentId, { device: row.device, group: row.group, tag: row.tag, value }),
    onSuccess: () => onWritten(),
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setChecked(true);
    if (parsed.ok) write.mutate(parsed.value);
  };
  const inputError = checked && !parsed.ok ? parsed.message : undefined;
  const unit = info.unit ? ` in ${info.unit}` : '';

  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="sm">
        <Text size="sm" c="dimmed">
          {row.device} / {row.group} / {row.tag} · {describeTagType(info)}
          {info.unit ? ` · ${info.unit}` : ''}
        </Text>
        <Text size="sm">
          Current value:{' '}
          <Text span ff="monospace" data-testid="write-current">
            {row.value !== undefined ? formatTagValue(row.value, info) : '—'}
          </Text>
        </Text>
        {typeof input === 'boolean' ? (
          <Switch
            checked={input}
            onChange={(e) => setInput(e.currentTarget.checked)}
            label={input ? 'On (true)' : 'Off (false)'}
            aria-label="New value"
            data-testid="write-value"
          />
        ) : (
          <TextInput
            label={`New value${unit}`}
            description={hint(info)}
            value={input}
            onChange={(e) => {
              setInput(e.currentTarget.value);
              setChecked(true);
            }}
            error={inputError}
            data-autofocus
            autoComplete="off"
            data-testid="write-value"
          />
        )}
        {write.isSuccess && (
          <Alert color="green" title="Written" data-testid="write-result" role="status">
            The device acknowledged {formatTagValue(write.data.value, info)} in {Math.round(write.data.durationMs)} ms. The table shows the value once the agent reads the tag again.
          </Alert>
        )}
        {write.isError && <WriteError error={write.error} />}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {write.isSuccess ? 'Close' : 'Cancel'}
          </Button>
          <Button type="submit" loading={write.isPending} disabled={checked && !parsed.ok} data-testid="write-submit">
            Write
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function WriteError({ error }: { error: unknown }) {
  const p = describeWriteProblem(error);
  return (
    <Alert color="red" title={`Not written: ${p.title}`} data-testid="write-result" role="alert">
      <Stack gap={4}>
        <Text size="sm">{p.message}</Text>
        {p.issues.length > 0 && (
          <List size="sm">
            {p.issues.map((i) => (
              <List.Item key={`${i.path}:${i.message}`}>
                {i.path ? `${i.path}: ` : ''}
                {i.message}
              </List.Item>
            ))}
          </List>
        )}
        {p.advice && <Text size="sm">{p.advice}</Text>}
        <Text size="xs" c="dimmed">
          {p.reference}
        </Text>
      </Stack>
    </Alert>
  );
}

function hint(info: TagInfo): string {
  switch (info.type) {
    case 'string':
      return 'Text, written as typed.';
    case 'bytes':
      return 'Octets 0–255 or 0x00–0xFF, separated by spaces or commas.';
    case 'float32':
    case 'float64':
      return 'A number; use a point for decimals.';
    default:
      return info.scale !== undefined || info.offset !== undefined ? 'A number in engineering units; the agent converts it to the raw value.' : 'A whole number.';
  }
}
