import { useState } from 'react';
import { keepPreviousData, useQueries, useQuery } from '@tanstack/react-query';
import { Alert, Badge, Group, Loader, Pagination, SegmentedControl, Stack, Table, Text, Title } from '@mantine/core';
import type { AgentView, SyncStatus } from '@edgefleet/protocol';
import type { ApiClient } from '../api/client';

export const SYNC_STATUSES: SyncStatus[] = ['IN_SYNC', 'PENDING', 'FAILED', 'OFFLINE'];
const STATUS_COLOR: Record<SyncStatus, string> = { IN_SYNC: 'green', PENDING: 'yellow', FAILED: 'red', OFFLINE: 'gray' };
const PAGE_SIZE = 50;

/**
 * Every agent of the fleet with its sync status, revisions and last contact; counts by status on
 * top (one `?status=…&limit=1` per status: the totals come from the database, so they stay cheap
 * for 10,000 agents), filtered by status and paginated by the API.
 */
export function FleetOverview({ client }: { client: ApiClient }) {
  const [status, setStatus] = useState<SyncStatus | 'ALL'>('ALL');
  const [page, setPage] = useState(1);
  const counts = useQueries({
    queries: SYNC_STATUSES.map((s) => ({ queryKey: ['agents', 'count', s], queryFn: () => client.agents({ status: s, limit: 1, offset: 0 }).then((p) => p.total), refetchInterval: 5_000 })),
  });
  const list = useQuery({
    queryKey: ['agents', status, page],
    queryFn: () => client.agents({ ...(status === 'ALL' ? {} : { status }), limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE }),
    placeholderData: keepPreviousData,
    refetchInterval: 5_000,
  });

  return (
    <Stack>
      <Title order={2}>Fleet</Title>
      <Group gap="lg" aria-label="Agents by status">
        {SYNC_STATUSES.map((s, i) => (
          <Group key={s} gap={6}>
            <Badge color={STATUS_COLOR[s]} variant="light">
              {label(s)}
            </Badge>
            <Text fw={600} data-testid={`count-${s}`}>
              {counts[i]?.data ?? '…'}
            </Text>
          </Group>
        ))}
      </Group>
      <SegmentedControl
        value={status}
        onChange={(v) => {
          setStatus(v as SyncStatus | 'ALL');
          setPage(1);
        }}
        data={[{ value: 'ALL', label: 'All' }, ...SYNC_STATUSES.map((s) => ({ value: s, label: label(s) }))]}
      />
      {list.isError ? (
        <Alert color="red" role="alert">
          Cannot load the agents: {list.error.message}
        </Alert>
      ) : list.isPending ? (
        <Loader aria-label="Loading agents" />
      ) : list.data.items.length === 0 ? (
        <Text c="dimmed">{status === 'ALL' ? 'No agents yet: create an enrollment token and start an agent with it.' : `No agent is ${label(status).toLowerCase()}.`}</Text>
      ) : (
        <>
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
          {list.data.total > PAGE_SIZE && <Pagination total={Math.ceil(list.data.total / PAGE_SIZE)} value={page} onChange={setPage} />}
        </>
      )}
    </Stack>
  );
}

function AgentRow({ agent }: { agent: AgentView }) {
  return (
    <Table.Tr>
      <Table.Td>
        <Text fw={500}>{agent.name}</Text>
        {agent.lastError && (
          <Text size="xs" c="red">
            {agent.lastError.message}
          </Text>
        )}
      </Table.Td>
      <Table.Td>
        <Badge color={STATUS_COLOR[agent.syncStatus]}>{label(agent.syncStatus)}</Badge>
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

function label(s: SyncStatus): string {
  return { IN_SYNC: 'In sync', PENDING: 'Pending', FAILED: 'Failed', OFFLINE: 'Offline' }[s];
}
