import { useEffect, useState } from 'react';
import { keepPreviousData, useMutation, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { Alert, Badge, Button, Card, Group, Loader, Modal, Pagination, Stack, Table, Text, Title } from '@mantine/core';
import type { AgentView, FleetView } from '@edgefleet/protocol';
import type { AgentPage } from '../api/client';
import { useConsole } from '../app/console-context';
import { formatAgo } from '../format';
import { boxFacts } from './agent-facts';
import { agentsByApproval, approvalKeys, decide, decisionFailure, deleteAgent, type Decision } from './approval-api';

const PAGE_SIZE = 25;

interface Notice {
  color: 'green' | 'red' | 'yellow';
  text: string;
}

/** Drops an agent from every cached page of the pending list, so it leaves at once rather than at the next poll. */
function dropPending(queries: QueryClient, agentId: string) {
  queries.setQueriesData<AgentPage>({ queryKey: approvalKeys.all('pending') }, (page) =>
    page ? { ...page, items: page.items.filter((a) => a.id !== agentId), total: Math.max(0, page.total - 1) } : page,
  );
}

/**
 * Boxes that enrolled with a token that requires approval and wait for an operator's decision,
 * oldest first, refreshed every 5 s. `canDecide` shows Approve and Reject; without it the list is
 * read-only. Lists the boxes of every fleet; `fleets` names them when there is more than one.
 */
export function PendingAgents({ fleets, canDecide }: { fleets: FleetView[]; canDecide: boolean }) {
  const { client } = useConsole();
  const queries = useQueryClient();
  const [page, setPage] = useState(1);
  const [notice, setNotice] = useState<Notice | null>(null);
  const [rejecting, setRejecting] = useState<AgentView | null>(null);
  const pending = useQuery({
    queryKey: approvalKeys.page('pending', page),
    queryFn: () => agentsByApproval(client, 'pending', { limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE }),
    placeholderData: keepPreviousData,
    refetchInterval: 5_000,
  });
  const decision = useMutation({
    mutationFn: ({ agent, decision }: { agent: AgentView; decision: Decision }) => decide(client, agent.id, decision),
    onMutate: () => setNotice(null),
    onSuccess: (_, { agent, decision }) => {
      dropPending(queries, agent.id);
      setNotice(
        decision === 'approve'
          ? { color: 'green', text: `"${agent.name}" is approved: it gets its certificate the next time it asks, usually within seconds, and joins its fleet.` }
          : { color: 'yellow', text: `"${agent.name}" is rejected: its agent stops. Delete its record under "Rejected boxes" to let it enroll again.` },
      );
    },
    onError: (error, { agent, decision }) => setNotice({ color: 'red', text: decisionFailure(error, agent.name, decision) }),
    onSettled: () => {
      setRejecting(null);
      // Approved agents appear in the fleet overview; after a conflict the pending list shows what really happened.
      void queries.invalidateQueries({ queryKey: ['agents'] });
    },
  });
  // A decision can empty the last page: step back rather than show an empty one.
  const lastPage = pending.data ? Math.max(1, Math.ceil(pending.data.total / PAGE_SIZE)) : 1;
  useEffect(() => {
    if (page > lastPage) setPage(lastPage);
  }, [page, lastPage]);
  const fleetName = fleets.length > 1 ? new Map(fleets.map((f) => [f.id, f.name])) : null;
  const deciding = decision.isPending ? decision.variables : undefined;

  return (
    <Card withBorder data-testid="pending-agents">
      <Group gap="xs" mb="sm">
        <Title order={4}>Waiting for approval</Title>
        {pending.data && pending.data.total > 0 && (
          <Badge color="orange" variant="filled" data-testid="pending-count">
            {pending.data.total}
          </Badge>
        )}
        {fleetName && (
          <Text size="sm" c="dimmed">
            of every fleet
          </Text>
        )}
      </Group>
      {notice && (
        <Alert color={notice.color} mb="sm" role={notice.color === 'red' ? 'alert' : 'status'} withCloseButton closeButtonLabel="Dismiss" onClose={() => setNotice(null)} data-testid="approval-notice">
          {notice.text}
        </Alert>
      )}
      {pending.isPending ? (
        <Loader aria-label="Loading boxes waiting for approval" />
      ) : pending.isError ? (
        <Alert color="red" role="alert">
          Cannot load the boxes waiting for approval: {pending.error.message}
        </Alert>
      ) : pending.data.items.length === 0 && page === 1 ? (
        <Stack gap={2}>
          <Text c="dimmed">No box is waiting for approval.</Text>
          <Text size="sm" c="dimmed">
            Boxes that enroll with a token that requires approval wait here until an administrator approves or rejects them.
          </Text>
        </Stack>
      ) : (
        <Stack gap="xs">
          <Table.ScrollContainer minWidth={760}>
            <Table data-testid="pending-list" verticalSpacing="xs">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Box</Table.Th>
                  {fleetName && <Table.Th>Fleet</Table.Th>}
                  <Table.Th>Facts</Table.Th>
                  <Table.Th>Labels</Table.Th>
                  <Table.Th>Asked</Table.Th>
                  {canDecide && <Table.Th />}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {pending.data.items.map((a) => (
                  <Table.Tr key={a.id} data-testid="pending-agent" data-agent-id={a.id} data-hardware-id={a.hardwareId}>
                    <Table.Td>
                      <Text fw={500}>{a.name}</Text>
                      <Text size="xs" c="dimmed" ff="monospace" style={{ wordBreak: 'break-all' }}>
                        {a.hardwareId}
                      </Text>
                    </Table.Td>
                    {fleetName && <Table.Td>{fleetName.get(a.fleetId) ?? '—'}</Table.Td>}
                    <Table.Td>
                      <FactList agent={a} />
                    </Table.Td>
                    <Table.Td>
                      <LabelBadges labels={a.labels} />
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm" title={new Date(a.enrolledAt).toLocaleString()}>
                        {formatAgo(a.enrolledAt)}
                      </Text>
                    </Table.Td>
                    {canDecide && (
                      <Table.Td>
                        <Group gap={6} wrap="nowrap" justify="end">
                          <Button
                            size="compact-sm"
                            color="green"
                            aria-label={`Approve ${a.name}`}
                            data-testid="approve-agent"
                            loading={deciding?.agent.id === a.id && deciding.decision === 'approve'}
                            disabled={decision.isPending}
                            onClick={() => decision.mutate({ agent: a, decision: 'approve' })}
                          >
                            Approve
                          </Button>
                          <Button
                            size="compact-sm"
                            color="red"
                            variant="light"
                            aria-label={`Reject ${a.name}`}
                            data-testid="reject-agent"
                            disabled={decision.isPending}
                            onClick={() => setRejecting(a)}
                          >
                            Reject
                          </Button>
                        </Group>
                      </Table.Td>
                    )}
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          {pending.data.total > PAGE_SIZE && (
            <Pagination size="sm" total={Math.ceil(pending.data.total / PAGE_SIZE)} value={page} onChange={setPage} aria-label="Pages of waiting boxes" />
          )}
        </Stack>
      )}
      {!canDecide && (
        <Text size="sm" c="dimmed" mt="sm">
          Approving and rejecting boxes takes an administrator.
        </Text>
      )}
      <RejectedAgents canDelete={canDecide} />
      <Modal opened={rejecting !== null} onClose={() => !decision.isPending && setRejecting(null)} title="Reject this box?">
        <Stack>
          <Text>
            <b>{rejecting?.name}</b> ({rejecting?.hardwareId}) does not join the fleet and gets no config: its agent stops.
          </Text>
          <Text size="sm" c="dimmed">
            It cannot try again while its record exists. To let it enroll again, delete its record under &quot;Rejected boxes&quot;.
          </Text>
          <Group justify="end">
            <Button variant="default" onClick={() => setRejecting(null)} disabled={decision.isPending}>
              Cancel
            </Button>
            <Button color="red" data-testid="confirm-reject" loading={decision.isPending} onClick={() => rejecting && decision.mutate({ agent: rejecting, decision: 'reject' })}>
              Reject
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Card>
  );
}

function FactList({ agent }: { agent: AgentView }) {
  const facts = boxFacts(agent);
  if (facts.length === 0) return <Text c="dimmed">—</Text>;
  return (
    <Stack gap={0}>
      {facts.map((f) => (
        <Text key={f.label} size="sm">
          <Text span c="dimmed" size="sm">
            {f.label}:
          </Text>{' '}
          {f.value}
        </Text>
      ))}
    </Stack>
  );
}

function LabelBadges({ labels }: { labels: Record<string, string> }) {
  const entries = Object.entries(labels);
  if (entries.length === 0) return <Text c="dimmed">—</Text>;
  return (
    <Group gap={4}>
      {entries.map(([k, v]) => (
        <Badge key={k} variant="outline" size="sm">
          {k}={v}
        </Badge>
      ))}
    </Group>
  );
}

/**
 * Boxes an operator rejected, folded away until asked for: their records keep them from
 * enrolling again, so deleting one (with `canDelete`) lets the box try once more.
 */
function RejectedAgents({ canDelete }: { canDelete: boolean }) {
  const { client } = useConsole();
  const queries = useQueryClient();
  const [open, setOpen] = useState(false);
  const [deleting, setDeleting] = useState<AgentView | null>(null);
  const rejected = useQuery({
    queryKey: approvalKeys.page('rejected', 1),
    queryFn: () => agentsByApproval(client, 'rejected', { limit: PAGE_SIZE, offset: 0, sort: '-enrolledAt' }),
    enabled: open,
    refetchInterval: open ? 10_000 : false,
  });
  const remove = useMutation({
    mutationFn: (agent: AgentView) => deleteAgent(client, agent.id),
    onSuccess: () => {
      setDeleting(null);
      void queries.invalidateQueries({ queryKey: ['agents'] });
    },
  });

  return (
    <Stack gap="xs" mt="sm">
      <Group>
        <Button variant="subtle" size="compact-sm" onClick={() => setOpen((o) => !o)} aria-expanded={open} data-testid="toggle-rejected">
          {open ? 'Hide rejected boxes' : 'Show rejected boxes'}
        </Button>
      </Group>
      {open &&
        (rejected.isPending ? (
          <Loader size="sm" aria-label="Loading rejected boxes" />
        ) : rejected.isError ? (
          <Alert color="red" role="alert">
            Cannot load the rejected boxes: {rejected.error.message}
          </Alert>
        ) : rejected.data.items.length === 0 ? (
          <Text size="sm" c="dimmed">
            No box has been rejected.
          </Text>
        ) : (
          <>
            <Table.ScrollContainer minWidth={560}>
              <Table data-testid="rejected-agents" verticalSpacing={4}>
                <Table.Tbody>
                  {rejected.data.items.map((a) => (
                    <Table.Tr key={a.id} data-testid="rejected-agent" data-agent-id={a.id}>
                      <Table.Td>
                        <Text size="sm" fw={500}>
                          {a.name}
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        <Text size="xs" c="dimmed" ff="monospace">
                          {a.hardwareId}
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm">asked {formatAgo(a.enrolledAt)}</Text>
                      </Table.Td>
                      {canDelete && (
                        <Table.Td>
                          <Button
                            size="compact-xs"
                            variant="light"
                            color="red"
                            aria-label={`Delete record of ${a.name}`}
                            onClick={() => {
                              remove.reset();
                              setDeleting(a);
                            }}
                          >
                            Delete record
                          </Button>
                        </Table.Td>
                      )}
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
            {rejected.data.total > rejected.data.items.length && (
              <Text size="xs" c="dimmed">
                The {rejected.data.items.length} most recent of {rejected.data.total} rejected boxes.
              </Text>
            )}
          </>
        ))}
      <Modal opened={deleting !== null} onClose={() => !remove.isPending && setDeleting(null)} title="Delete this record?">
        <Stack>
          <Text>
            The record of <b>{deleting?.name}</b> ({deleting?.hardwareId}) is deleted. The box may then enroll again with a valid token; with a token that requires approval it
            waits here again.
          </Text>
          {remove.isError && (
            <Alert color="red" role="alert">
              Cannot delete: {remove.error.message}
            </Alert>
          )}
          <Group justify="end">
            <Button variant="default" onClick={() => setDeleting(null)} disabled={remove.isPending}>
              Cancel
            </Button>
            <Button color="red" loading={remove.isPending} onClick={() => deleting && remove.mutate(deleting)}>
              Delete record
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}
