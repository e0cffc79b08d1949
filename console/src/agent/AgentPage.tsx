import { Link, useNavigate, useParams } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { Alert, Anchor, Badge, Breadcrumbs, Group, Loader, Stack, Tabs, Text, Title } from '@mantine/core';
import { ApiError } from '../api/client';
import { useConsole } from '../app/console-context';
import { Commissioning } from '../commissioning/Commissioning';
import { ConfigEditor } from '../config/ConfigEditor';
import { SyncBadge } from '../fleet/sync-status';
import { LiveValues } from '../live/LiveValues';
import { AgentOverview } from './AgentOverview';

export const AGENT_TABS = [
  { value: 'overview', label: 'Overview' },
  { value: 'values', label: 'Live values' },
  { value: 'config', label: 'Config' },
  { value: 'commissioning', label: 'Commissioning' },
] as const;
type AgentTab = (typeof AGENT_TABS)[number]['value'];

/** One agent: its health, live values, config and commissioning, one tab each with its own URL. */
export function AgentPage() {
  const { client, canEdit, canWrite } = useConsole();
  const params = useParams();
  const navigate = useNavigate();
  const id = params.id ?? '';
  const tab: AgentTab = AGENT_TABS.some((t) => t.value === params.tab) ? (params.tab as AgentTab) : 'overview';
  const agent = useQuery({ queryKey: ['agent', id], queryFn: () => client.agent(id), refetchInterval: 3_000 });

  if (agent.isPending) return <Loader aria-label="Loading the agent" />;
  if (agent.isError && !agent.data) {
    const missing = agent.error instanceof ApiError && (agent.error.status === 404 || agent.error.status === 400);
    return (
      <Alert color={missing ? 'yellow' : 'red'} role="alert" title={missing ? 'No such agent' : 'Cannot load the agent'}>
        {missing ? 'This agent does not exist (any more). ' : `${agent.error.message}. `}
        <Anchor component={Link} to="/">
          Back to the fleet
        </Anchor>
      </Alert>
    );
  }
  const a = agent.data;
  if (!a) return null;
  return (
    <Stack>
      <Breadcrumbs>
        <Anchor component={Link} to="/">
          Fleet
        </Anchor>
        <Text>{a.name}</Text>
      </Breadcrumbs>
      <Group justify="space-between" align="center">
        <Group gap="sm">
          <Title order={2} data-testid="agent-name">
            {a.name}
          </Title>
          <SyncBadge status={a.syncStatus} />
          <Badge variant="dot" color={a.online ? 'green' : 'gray'}>
            {a.online ? 'online' : 'offline'}
          </Badge>
        </Group>
        <Text size="sm" c="dimmed" data-testid="revisions">
          applied revision {a.appliedRevision ?? '—'} of desired {a.desiredRevision ?? '—'}
        </Text>
      </Group>
      {agent.isError && (
        <Alert color="yellow" role="status">
          Showing the last known state: {agent.error.message}
        </Alert>
      )}
      <Tabs value={tab} onChange={(v) => void navigate(v === 'overview' ? `/agents/${id}` : `/agents/${id}/${v}`)} keepMounted={false}>
        <Tabs.List>
          {AGENT_TABS.map((t) => (
            <Tabs.Tab key={t.value} value={t.value}>
              {t.label}
            </Tabs.Tab>
          ))}
        </Tabs.List>
        <Tabs.Panel value="overview" pt="md">
          <AgentOverview agent={a} />
        </Tabs.Panel>
        <Tabs.Panel value="values" pt="md">
          <LiveValues client={client} agentId={id} canWrite={canWrite} />
        </Tabs.Panel>
        <Tabs.Panel value="config" pt="md">
          <ConfigEditor client={client} agentId={id} canEdit={canEdit} />
        </Tabs.Panel>
        <Tabs.Panel value="commissioning" pt="md">
          <Commissioning client={client} agentId={id} canEdit={canEdit} />
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}
