import { useState } from 'react';
import { Link } from 'react-router';
import { keepPreviousData, useQueries, useQuery } from '@tanstack/react-query';
import { Alert, Anchor, Badge, Group, Loader, Pagination, SegmentedControl, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import type { AgentSort, AgentView, SyncStatus } from '@edgefleet/protocol';
import { useConsole } from '../app/console-context';
import { SyncBadge, syncLabel, SYNC_COLOR } from './sync-status';

export const SYNC_STATUSES: SyncStatus[] = ['IN_SYNC', 'PENDING', 'FAILED', 'OFFLINE'];
const PAGE_SIZE = 50;
const SORTS: Array<{ value: AgentSort; label: string }> = [
  { value: 'name', label: 'Name A–Z' },
  { value: '-name', label: 'Name Z–A' },
  { value: '-lastSeenAt', label: 'Last seen, newest first' },
  { value: 'lastSeenAt', label: 'Last seen, oldest first' },
  { value: '-enrolledAt', label: 'Enrolled, newest first' },
  { value: 'enrolledAt', label: 'Enrolled, oldest first' },
  { value: 'status', label: 'Status: failed first' },
];

/** `line=7 site=berlin` → `['line=7', 'site=berlin']`; a bare `key` asks for agents that have the label. */
export function parseLabelFilter(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((t) => t.trim())
    .filter((t) => t !== '' && !t.startsWith('='));
}

/**
 * Every agent of the fleet with its sync status, revisions and last contact; counts by status on
 * top (one `?status=…&limit=1` per status: the totals come from the database, so they stay cheap
 * for 10,000 agents). Filtering by status, text and labels, sorting and paging are all done by
 * the API, so the page only ever holds one page of agents.
 */
export function FleetOverview() {
  const { client } = useConsole();
  const [status, setStatus] = useState<SyncStatus | 'ALL'>('ALL');
  const [text, setText] = useState('');
  const [labelText, setLabelText] = useState('');
  const [sort, setSort] = useState<AgentSort>('name');
  const [page, setPage] = useState(1);
  const [q] = useDebouncedValue(text.trim(), 250);
  const [labels] = useDebouncedValue(parseLabelFilter(labelText).join(' '), 250);
  const counts = useQueries({
    queries: SYNC_STATUSES.map((s) => ({ queryKey: ['agents', 'count', s], queryFn: () => client.agents({ status: s, limit: 1, offset: 0 }).then((p) => p.total), refetchInterval: 5_000 })),
  });
  const list = useQuery({
    queryKey: ['agents', status, q, labels, sort, page],
    queryFn: () =>
      client.agents({
        ...(status === 'ALL' ? {} : { status }),
        ...(q ? { q } : {}),
        ...(labels ? { labels: labels.split(' ') } : {}),
        sort,
        limit: PAGE_SIZE,
        offset: (page - 1) * PAGE_SIZE,
      }),
    placeholderData: keepPreviousData,
    refetchInterval: 5_000,
  });
  const filtered = status !== 'ALL' || q !== '' || labels !== '';

  return (
    <Stack>
      <Title order={2}>Fleet</Title>
      <Group gap="lg" aria-label="Agents by status">
        {SYNC_STATUSES.map((s, i) => (
          <Group key={s} gap={6}>
            <Badge color={SYNC_COLOR[s]} variant="light">
              {syncLabel(s)}
            </Badge>
            <Text fw={600} data-testid={`count-${s}`}>
              {counts[i]?.data ?? '…'}
            </Text>
          </Group>
        ))}
      </Group>
      <Group align="end" gap="sm">
        <SegmentedControl
          value={status}
          onChange={(v) => {
            setStatus(v as SyncStatus | 'ALL');
            setPage(1);
          }}
          data={[{ value: 'ALL', label: 'All' }, ...SYNC_STATUSES.map((s) => ({ value: s, label: syncLabel(s) }))]}
        />
        <TextInput
          label="Search"
          placeholder="Name or hardware id"
          value={text}
          onChange={(e) => {
            setText(e.currentTarget.value);
            setPage(1);
          }}
          w={220}
        />
        <TextInput
          label="Labels"
          placeholder="line=7 site"
          value={labelText}
          onChange={(e) => {
            setLabelText(e.currentTarget.value);
            setPage(1);
          }}
          w={200}
        />
        <Select label="Sort" data={SORTS} value={sort} onChange={(v) => v && setSort(v as AgentSort)} allowDeselect={false} w={220} />
      </Group>
      {list.isError ? (
        <Alert color="red" role="alert">
          Cannot load the agents: {list.error.message}
        </Alert>
      ) : list.isPending ? (
        <Loader aria-label="Loading agents" />
      ) : list.data.items.length === 0 ? (
        <Text c="dimmed">
          {!filtered ? (
            <>
              No agents yet: <Anchor component={Link} to="/provisioning">create an enrollment token</Anchor> and start an agent with it.
            </>
          ) : status !== 'ALL' && q === '' && labels === '' ? (
            `No agent is ${syncLabel(status).toLowerCase()}.`
          ) : (
            'No agent matches these filters.'
          )}
        </Text>
      ) : (
        <>
          <Table.ScrollContainer minWidth={760}>
            <Table striped highlightOnHover>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Agent</Table.Th>
                  <Table.Th>Status</Table.Th>
                  <Table.Th>Applied / desired</Table.Th>
                  <Table.Th>Last seen</Table.Th>
                  <Table.Th>Version</Table.Th>
                  <Table.Th>Labels</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {list.data.items.map((a) => (
                  <AgentRow key={a.id} agent={a} />
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <Group justify="space-between">
            <Text size="sm" c="dimmed">
              {list.data.total} agent{list.data.total === 1 ? '' : 's'}
            </Text>
            {list.data.total > PAGE_SIZE && <Pagination total={Math.ceil(list.data.total / PAGE_SIZE)} value={page} onChange={setPage} />}
          </Group>
        </>
      )}
    </Stack>
  );
}

function AgentRow({ agent }: { agent: AgentView }) {
  return (
    <Table.Tr>
      <Table.Td>
        <Anchor component={Link} to={`/agents/${agent.id}`} fw={500}>
          {agent.name}
        </Anchor>
        <Text size="xs" c="dimmed">
          {agent.hardwareId}
        </Text>
        {agent.lastError && (
          <Text size="xs" c="red">
            {agent.lastError.message}
          </Text>
        )}
      </Table.Td>
      <Table.Td>
        <SyncBadge status={agent.syncStatus} />
      </Table.Td>
      <Table.Td>
        {agent.appliedRevision ?? '—'} / {agent.desiredRevision ?? '—'}
      </Table.Td>
      <Table.Td>{agent.online ? 'online' : agent.lastSeenAt ? new Date(agent.lastSeenAt).toLocaleString() : 'never'}</Table.Td>
      <Table.Td>{agent.agentVersion ?? '—'}</Table.Td>
      <Table.Td>
        <Group gap={4}>
          {Object.entries(agent.labels).map(([k, v]) => (
            <Badge key={k} variant="outline" size="sm">
              {k}={v}
            </Badge>
          ))}
        </Group>
      </Table.Td>
    </Table.Tr>
  );
}
