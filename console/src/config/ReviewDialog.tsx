import { Alert, Badge, Button, Code, Group, Loader, Modal, ScrollArea, Stack, Table, Text, Textarea } from '@mantine/core';
import type { ConfigChange } from '@edgefleet/protocol';
import type { ConfigPreview } from './config-api';

export interface ReviewDialogProps {
  opened: boolean;
  onClose: () => void;
  preview: { pending: boolean; data?: ConfigPreview | undefined; error?: string | undefined; rejected: boolean };
  comment: string;
  onComment: (c: string) => void;
  onConfirm: () => void;
  saving: boolean;
  saveError?: string | undefined;
  /** The revision the agent reports running, to say what the changes are measured against. */
  appliedRevision: number | null | undefined;
}

const CHANGE_COLOR: Record<ConfigChange['change'], string> = { added: 'green', removed: 'red', changed: 'blue' };

function shown(change: ConfigChange, side: 'before' | 'after'): string {
  if (!(side in change)) return '';
  const v = change[side];
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function ValueCell({ change, side }: { change: ConfigChange; side: 'before' | 'after' }) {
  if (change.secret) {
    return (
      <Text size="xs" c="dimmed" fs="italic">
        {side in change ? 'secret (hidden)' : ''}
      </Text>
    );
  }
  const text = shown(change, side);
  const short = text.length > 140 ? `${text.slice(0, 140)}…` : text;
  return text ? (
    <Code title={text} style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}>
      {short}
    </Code>
  ) : null;
}

/**
 * The last look before a save: what the document changes against the revision the agent runs
 * (as the API computes it, secrets flagged and never shown), and a comment for the revision.
 */
export function ReviewDialog({ opened, onClose, preview, comment, onComment, onConfirm, saving, saveError, appliedRevision }: ReviewDialogProps) {
  const changes = preview.data?.changes ?? [];
  const from = preview.data?.from ?? null;
  const against =
    from === null
      ? 'an empty config (the agent has no revision yet)'
      : from === appliedRevision
        ? `applied revision ${from}`
        : `revision ${from} (the agent has not reported applying a revision)`;
  return (
    <Modal opened={opened} onClose={onClose} title="Review and save the config" size="xl">
      <Stack gap="sm" data-testid="review-dialog">
        {preview.pending ? (
          <Group gap="xs">
            <Loader size="sm" aria-label="Computing the changes" />
            <Text size="sm">Computing the changes…</Text>
          </Group>
        ) : preview.error ? (
          <Alert color={preview.rejected ? 'red' : 'yellow'} role="alert" title={preview.rejected ? 'The control plane rejects this config' : 'The changes cannot be listed'}>
            {preview.error}
            {preview.rejected ? ' The problems are marked on the fields.' : ' You can still save.'}
          </Alert>
        ) : (
          <>
            <Text size="sm" data-testid="review-summary">
              {changes.length === 0 ? `No changes against ${against}.` : `${changes.length} ${changes.length === 1 ? 'change' : 'changes'} against ${against}:`}
            </Text>
            {changes.length > 0 && (
              <ScrollArea.Autosize mah={360}>
                <Table striped verticalSpacing={4} data-testid="review-changes">
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th w={110}>Change</Table.Th>
                      <Table.Th>Field</Table.Th>
                      <Table.Th>Before</Table.Th>
                      <Table.Th>After</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {changes.map((c, i) => (
                      <Table.Tr key={i}>
                        <Table.Td>
                          <Badge color={CHANGE_COLOR[c.change]} variant="light" size="sm">
                            {c.change}
                          </Badge>
                        </Table.Td>
                        <Table.Td>
                          <Text size="xs" ff="monospace">
                            {c.path}
                          </Text>
                        </Table.Td>
                        <Table.Td>
                          <ValueCell change={c} side="before" />
                        </Table.Td>
                        <Table.Td>
                          <ValueCell change={c} side="after" />
                        </Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </ScrollArea.Autosize>
            )}
          </>
        )}
        <Textarea
          label="Comment"
          description="Why this change: shown in the revision history."
          placeholder="e.g. add line 3 press temperatures"
          value={comment}
          maxLength={1024}
          autosize
          minRows={2}
          onChange={(e) => onComment(e.currentTarget.value)}
          data-testid="review-comment"
        />
        {saveError && (
          <Alert color="red" role="alert" title="Not saved">
            {saveError}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose} disabled={saving}>
            Cancel
          </Button>
          <Button onClick={onConfirm} loading={saving} disabled={preview.pending || preview.rejected} data-testid="review-confirm">
            Save as new revision
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
