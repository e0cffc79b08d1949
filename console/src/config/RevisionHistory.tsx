import { useEffect, useRef, useState } from 'react';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, Badge, Button, Checkbox, Code, Group, List, Loader, Modal, Pagination, Stack, Table, Text, Textarea, Title } from '@mantine/core';
import type { ConfigChange, ConfigRevisionView } from '@edgefleet/protocol';
import { ApiError, type ApiClient } from '../api/client';
import { diffRevisions, getAgent, listRevisions, rollbackTo } from './revision-history-api';

const PAGE_SIZE = 20;

export interface RevisionHistoryProps {
  client: ApiClient;
  agentId: string;
  /** Whether the user may change the config; without it the history is read only (no rollback). */
  canEdit: boolean;
}

/**
 * An agent's config revisions, newest first: who made each, when and why, which one the agent
 * should run (desired) and which it runs (applied). Any two can be compared; with `canEdit`,
 * any older one can be made current again — as a new revision, so the history only grows.
 */
export function RevisionHistory({ client, agentId, canEdit }: RevisionHistoryProps) {
  const queryClient = useQueryClient();
  const [page, setPage] = useState(1);
  /** Up to two revision numbers picked for comparison, in the order they were picked. */
  const [picked, setPicked] = useState<number[]>([]);
  const [target, setTarget] = useState<ConfigRevisionView | null>(null);
  const [created, setCreated] = useState<ConfigRevisionView | null>(null);

  const revisions = useQuery({
    queryKey: ['revisions', agentId, 'page', page],
    queryFn: () => listRevisions(client, agentId, { limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE }),
    placeholderData: keepPreviousData,
  });
  const agent = useQuery({ queryKey: ['agent', agentId], queryFn: () => getAgent(client, agentId), refetchInterval: 5_000 });

  const rollback = useMutation({
    mutationFn: (vars: { revision: number; comment?: string }) => rollbackTo(client, agentId, vars.revision, vars.comment),
    onSuccess: async (revision) => {
      setCreated(revision);
      setTarget(null);
      setPage(1);
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: ['config', agentId] }),
        queryClient.invalidateQueries({ queryKey: ['agent', agentId] }),
        queryClient.invalidateQueries({ queryKey: ['revisions', agentId] }),
      ]);
    },
  });

  const togglePick = (revision: number) => {
    setPicked((current) => (current.includes(revision) ? current.filter((r) => r !== revision) : [...current, revision].slice(-2)));
  };

  const items = revisions.data?.items ?? [];
  // The newest revision is always the desired one; the agent view says so too once loaded.
  const desired = agent.data?.desiredRevision ?? (page === 1 ? items[0]?.revision : undefined);
  const applied = agent.data?.appliedRevision ?? null;
  const pair = picked.length === 2 ? ([Math.min(...picked), Math.max(...picked)] as const) : null;

  return (
    <Stack data-testid="revision-history">
      <Title order={3}>Revision history</Title>
      {created && (
        <Alert color="green" withCloseButton onClose={() => setCreated(null)} data-testid="rollback-done">
          Revision {created.revision} created with the config of revision {created.rollbackOf}. The agent receives it on its next contact.
        </Alert>
      )}
      {agent.isError && (
        <Text size="sm" c="orange">
          Cannot tell which revision the agent runs: {agent.error.message}
        </Text>
      )}
      {revisions.isError ? (
        <Alert color="red" role="alert" title="Cannot load the revisions">
          <ErrorDetails error={revisions.error} />
        </Alert>
      ) : revisions.isPending ? (
        <Loader aria-label="Loading revisions" />
      ) : revisions.data.total === 0 ? (
        <Text c="dimmed" data-testid="revisions-empty">
          This agent has no config yet. Saving a config in the editor creates revision 1; every later save adds one here.
        </Text>
      ) : (
        <>
          <Table.ScrollContainer minWidth={720}>
            <Table striped highlightOnHover verticalSpacing="xs">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th w={70}>Compare</Table.Th>
                  <Table.Th miw={120}>Revision</Table.Th>
                  <Table.Th>Author</Table.Th>
                  <Table.Th>Time</Table.Th>
                  <Table.Th>Comment</Table.Th>
                  <Table.Th />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((r) => (
                  <Table.Tr key={r.revision} data-testid={`revision-row-${r.revision}`} data-revision={r.revision}>
                    <Table.Td>
                      <Checkbox
                        aria-label={`Compare revision ${r.revision}`}
                        data-testid={`revision-compare-${r.revision}`}
                        checked={picked.includes(r.revision)}
                        onChange={() => togglePick(r.revision)}
                      />
                    </Table.Td>
                    <Table.Td>
                      <Group gap={6}>
                        <Text fw={600}>#{r.revision}</Text>
                        {r.revision === desired && (
                          <Badge color="blue" variant="light" data-testid="revision-badge-desired" title="The revision the agent should run">
                            desired
                          </Badge>
                        )}
                        {r.revision === applied && (
                          <Badge color="green" variant="light" data-testid="revision-badge-applied" title="The revision the agent reported running">
                            applied
                          </Badge>
                        )}
                      </Group>
                    </Table.Td>
                    <Table.Td>{r.author}</Table.Td>
                    <Table.Td>
                      <Text size="sm" title={r.createdAt}>
                        {new Date(r.createdAt).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'short' })}
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      <Stack gap={2}>
                        {r.comment ? <Text size="sm">{r.comment}</Text> : <Text size="sm" c="dimmed">—</Text>}
                        {r.rollbackOf !== null && (
                          <Text size="xs" c="dimmed" data-testid="revision-rollback-of">
                            rollback of #{r.rollbackOf}
                          </Text>
                        )}
                      </Stack>
                    </Table.Td>
                    <Table.Td>
                      <Group gap="xs" justify="flex-end">
                        {r.revision > 1 && (
                          <Button size="compact-sm" variant="subtle" data-testid={`revision-changes-${r.revision}`} onClick={() => setPicked([r.revision - 1, r.revision])}>
                            Changes
                          </Button>
                        )}
                        {canEdit && r.revision !== desired && (
                          <Button
                            size="compact-sm"
                            variant="light"
                            color="orange"
                            data-testid={`revision-rollback-${r.revision}`}
                            onClick={() => {
                              rollback.reset();
                              setTarget(r);
                            }}
                          >
                            Roll back to this revision
                          </Button>
                        )}
                      </Group>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <Group justify="space-between">
            <Text size="sm" c="dimmed">
              Revisions {(page - 1) * PAGE_SIZE + 1}–{(page - 1) * PAGE_SIZE + items.length} of {revisions.data.total}
            </Text>
            {revisions.data.total > PAGE_SIZE && (
              <Pagination data-testid="revisions-pagination" total={Math.ceil(revisions.data.total / PAGE_SIZE)} value={page} onChange={setPage} size="sm" />
            )}
          </Group>
          {pair ? (
            <RevisionDiff client={client} agentId={agentId} from={pair[0]} to={pair[1]} onClose={() => setPicked([])} />
          ) : (
            <Text size="sm" c="dimmed" data-testid="revision-diff-hint">
              {picked.length === 1
                ? `Revision ${picked[0]} picked: tick one more to compare the two.`
                : 'Tick two revisions to compare them, or press Changes to see what one revision changed.'}
            </Text>
          )}
        </>
      )}
      <Modal opened={target !== null} onClose={() => setTarget(null)} title={target ? `Roll back to revision ${target.revision}?` : ''} size="lg">
        {target && (
          <RollbackForm
            key={target.revision}
            target={target}
            pending={rollback.isPending}
            error={rollback.error}
            onCancel={() => setTarget(null)}
            onConfirm={(comment) => rollback.mutate({ revision: target.revision, ...(comment ? { comment } : {}) })}
          />
        )}
      </Modal>
    </Stack>
  );
}

function RollbackForm({
  target,
  pending,
  error,
  onCancel,
  onConfirm,
}: {
  target: ConfigRevisionView;
  pending: boolean;
  error: Error | null;
  onCancel: () => void;
  onConfirm: (comment: string) => void;
}) {
  const [comment, setComment] = useState('');
  return (
    <Stack data-testid="rollback-dialog">
      <Text size="sm">
        The config of revision {target.revision} becomes a new revision and is sent to the agent. Nothing is deleted: the revisions after it stay in the history and
        can be restored the same way.
      </Text>
      <Textarea
        label="Comment (optional)"
        description="Why you roll back; shown in the history."
        placeholder={`rollback to revision ${target.revision}`}
        maxLength={1024}
        rows={3}
        value={comment}
        onChange={(e) => setComment(e.currentTarget.value)}
        data-testid="rollback-comment"
      />
      {error && (
        <Alert color="red" role="alert" title="The rollback failed">
          <ErrorDetails error={error} />
        </Alert>
      )}
      <Group justify="flex-end">
        <Button variant="default" onClick={onCancel} data-testid="rollback-cancel">
          Cancel
        </Button>
        <Button color="orange" loading={pending} onClick={() => onConfirm(comment.trim())} data-testid="rollback-confirm">
          Roll back to revision {target.revision}
        </Button>
      </Group>
    </Stack>
  );
}

/** The changes between two revisions as a table; a changed secret says so without its value. */
function RevisionDiff({ client, agentId, from, to, onClose }: { client: ApiClient; agentId: string; from: number; to: number; onClose: () => void }) {
  // Revisions never change, so neither does their diff.
  const diff = useQuery({ queryKey: ['revisions', agentId, 'diff', from, to], queryFn: () => diffRevisions(client, agentId, from, to), staleTime: Infinity });
  // The comparison opens below a page of revisions: bring it into view when a new pair is picked.
  const panel = useRef<HTMLDivElement>(null);
  useEffect(() => {
    panel.current?.scrollIntoView?.({ behavior: 'smooth', block: 'start' });
  }, [from, to]);
  return (
    <Stack gap="xs" ref={panel} data-testid="revision-diff" data-from={from} data-to={to}>
      <Group justify="space-between">
        <Title order={4}>
          Changes from revision {from} to revision {to}
        </Title>
        <Button size="compact-sm" variant="default" onClick={onClose} data-testid="revision-diff-close">
          Close comparison
        </Button>
      </Group>
      {diff.isError ? (
        <Alert color="red" role="alert" title="Cannot compare these revisions">
          <ErrorDetails error={diff.error} />
        </Alert>
      ) : diff.isPending ? (
        <Loader aria-label="Loading changes" />
      ) : diff.data.changes.length === 0 ? (
        <Text c="dimmed" data-testid="revision-diff-empty">
          Revisions {from} and {to} hold the same config.
        </Text>
      ) : (
        <Table.ScrollContainer minWidth={640}>
          <Table verticalSpacing="xs" withTableBorder>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Path</Table.Th>
                <Table.Th>Change</Table.Th>
                <Table.Th>Revision {from}</Table.Th>
                <Table.Th>Revision {to}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {diff.data.changes.map((c) => (
                <Table.Tr key={`${c.change}:${c.path}`} data-testid="diff-row" data-path={c.path} data-change={c.change}>
                  <Table.Td>
                    <Group gap={6}>
                      <Code>{c.path}</Code>
                      {c.secret && (
                        <Badge size="xs" color="grape" variant="light">
                          secret
                        </Badge>
                      )}
                    </Group>
                  </Table.Td>
                  <Table.Td>
                    <Badge size="sm" color={CHANGE_COLOR[c.change]} variant="light">
                      {c.change}
                    </Badge>
                  </Table.Td>
                  <Table.Td>
                    <ChangeValue change={c} side="before" />
                  </Table.Td>
                  <Table.Td>
                    <ChangeValue change={c} side="after" />
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Stack>
  );
}

const CHANGE_COLOR: Record<ConfigChange['change'], string> = { added: 'green', removed: 'red', changed: 'yellow' };

function ChangeValue({ change, side }: { change: ConfigChange; side: 'before' | 'after' }) {
  const present = side === 'before' ? change.change !== 'added' : change.change !== 'removed';
  if (!present) return <Text c="dimmed">—</Text>;
  if (change.secret) {
    return (
      <Text size="sm" c="dimmed" fs="italic">
        {change.change === 'changed' ? (side === 'before' ? 'old secret (hidden)' : 'new secret (hidden)') : 'secret (hidden)'}
      </Text>
    );
  }
  const value = change[side];
  if (value !== null && typeof value === 'object') {
    return (
      <Code block style={{ maxHeight: 240, overflow: 'auto', whiteSpace: 'pre-wrap', wordBreak: 'break-word' }}>
        {JSON.stringify(value, null, 2)}
      </Code>
    );
  }
  if (typeof value === 'string') {
    return value === '' ? <Text c="dimmed">(empty)</Text> : <Text size="sm" style={{ wordBreak: 'break-word' }}>{value}</Text>;
  }
  return <Text size="sm">{value === undefined ? '—' : String(value)}</Text>;
}

/** An API failure in words: the message, and each field issue of a 400. */
function ErrorDetails({ error }: { error: Error }) {
  const issues = error instanceof ApiError ? error.issues : [];
  return (
    <>
      <Text size="sm">{error.message}</Text>
      {issues.length > 0 && (
        <List size="sm">
          {issues.map((i) => (
            <List.Item key={`${i.path}:${i.message}`}>
              {i.path}: {i.message}
            </List.Item>
          ))}
        </List>
      )}
    </>
  );
}
