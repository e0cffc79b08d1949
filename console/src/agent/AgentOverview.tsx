import { useQuery } from '@tanstack/react-query';
import { Alert, Badge, Card, Group, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import type { AgentHealthHistory, AgentView, LinkState } from '@edgefleet/protocol';
import { useConsole } from '../app/console-context';
import { TrendChart } from '../charts/TrendChart';
import { formatAgo, formatBytes, formatDuration } from '../format';

const LINK_COLOR: Record<LinkState, string> = { connected: 'green', connecting: 'yellow', disconnected: 'red', error: 'red', disabled: 'gray' };
const MIB = 1024 * 1024;

/** Per-series points of the last hour of health samples, for the trend charts. */
export function healthSeries(history: AgentHealthHistory | undefined) {
  const items = history?.items ?? [];
  const at = (iso: string) => Date.parse(iso);
  const sinkNames = [...new Set(items.flatMap((s) => s.sinks.map((k) => k.name)))];
  return {
    cpu: [{ label: 'CPU %', points: items.map((s) => [at(s.at), s.cpuPercent] as const) }],
    memory: [
      { label: 'RSS MiB', points: items.map((s) => [at(s.at), s.rssBytes / MIB] as const) },
      { label: 'Heap MiB', points: items.map((s) => [at(s.at), s.heapUsedBytes / MIB] as const) },
    ],
    buffers: sinkNames.map((name) => ({
      label: name,
      points: items.flatMap((s) => {
        const sink = s.sinks.find((k) => k.name === name);
        return sink ? [[at(s.at), sink.bufferDepth] as const] : [];
      }),
    })),
  };
}

/** An agent's facts, health now and over the last hour, and its last error in plain words. */
export function AgentOverview({ agent }: { agent: AgentView }) {
  const { client } = useConsole();
  const health = useQuery({
    queryKey: ['health', agent.id],
    queryFn: () => client.request<AgentHealthHistory>('GET', `/agents/${encodeURIComponent(agent.id)}/health?minutes=60`),
    refetchInterval: 15_000,
  });
  const hb = agent.heartbeat;
  const series = healthSeries(health.data);
  const facts: Array<[string, string]> = [
    ['Hardware id', agent.hardwareId],
    ['Agent id', agent.id],
    ['Agent version', agent.agentVersion ?? '—'],
    ...Object.entries(agent.facts)
      .filter(([k]) => k !== 'agentVersion')
      .map(([k, v]): [string, string] => [factLabel(k), typeof v === 'string' ? v : JSON.stringify(v)]),
    ['Enrolled', new Date(agent.enrolledAt).toLocaleString()],
    ['Last seen', agent.online ? 'now' : formatAgo(agent.lastSeenAt)],
    ['Uptime', hb ? formatDuration(hb.uptimeSec * 1000) : '—'],
    ...Object.entries(agent.labels).map(([k, v]): [string, string] => [`Label ${k}`, v]),
  ];

  return (
    <Stack>
      {agent.lastError && (
        <Alert color="red" title={`Revision ${agent.lastError.revision ?? '?'} was not applied`} data-testid="last-error">
          {agent.lastError.message}
          {agent.lastError.issues?.map((i) => (
            <Text key={`${i.path}:${i.message}`} size="sm">
              {i.path}: {i.message}
            </Text>
          ))}
        </Alert>
      )}
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <Card withBorder>
          <Title order={4} mb="xs">
            Facts
          </Title>
          <Table data-testid="facts">
            <Table.Tbody>
              {facts.map(([k, v]) => (
                <Table.Tr key={k}>
                  <Table.Th w="40%">{k}</Table.Th>
                  <Table.Td style={{ wordBreak: 'break-all' }}>{v}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Card>
        <Card withBorder>
          <Title order={4} mb="xs">
            Health
          </Title>
          {hb ? (
            <Group gap="xl" mb="sm">
              <Figure label="CPU" value={`${hb.cpuPercent.toFixed(1)} %`} />
              <Figure label="Memory (RSS)" value={formatBytes(hb.rssBytes)} />
              <Figure label="Heap" value={formatBytes(hb.heapUsedBytes)} />
              <Figure label="Reported" value={formatAgo(hb.at)} />
            </Group>
          ) : (
            <Text c="dimmed" mb="sm">
              No heartbeat yet: the agent reports its health once it is connected.
            </Text>
          )}
          {health.isError ? (
            <Text c="red" size="sm">
              Cannot load the health history: {health.error.message}
            </Text>
          ) : (health.data?.items.length ?? 0) < 2 ? (
            <Text c="dimmed" size="sm">
              Trends appear after two samples (one every {Math.round((health.data?.sampleMs ?? 30_000) / 1000)} s).
            </Text>
          ) : (
            <Stack gap="xs">
              <TrendChart title="CPU over the last hour" unit="%" series={series.cpu} height={120} />
              <TrendChart title="Memory over the last hour" unit="MiB" series={series.memory} height={120} />
            </Stack>
          )}
        </Card>
      </SimpleGrid>
      <Card withBorder>
        <Title order={4} mb="xs">
          Northbound sinks
        </Title>
        {!hb || hb.sinks.length === 0 ? (
          <Text c="dimmed">No sink runs on this agent: add one in the config.</Text>
        ) : (
          <Table.ScrollContainer minWidth={700}>
            <Table data-testid="sinks">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Sink</Table.Th>
                  <Table.Th>Link</Table.Th>
                  <Table.Th>Published</Table.Th>
                  <Table.Th>Buffered</Table.Th>
                  <Table.Th>Oldest</Table.Th>
                  <Table.Th>Dropped</Table.Th>
                  <Table.Th>Last error</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {hb.sinks.map((s) => (
                  <Table.Tr key={s.name}>
                    <Table.Td>
                      {s.name} <Text span size="xs" c="dimmed">({s.kind})</Text>
                    </Table.Td>
                    <Table.Td>
                      <LinkBadge link={s.link} />
                    </Table.Td>
                    <Table.Td>{s.published.toLocaleString()}</Table.Td>
                    <Table.Td>
                      {s.bufferDepth.toLocaleString()}
                      {s.bufferBytes !== undefined && s.bufferDepth > 0 ? ` (${formatBytes(s.bufferBytes)})` : ''}
                    </Table.Td>
                    <Table.Td>{s.bufferDepth > 0 ? formatDuration(s.bufferOldestAgeMs) : '—'}</Table.Td>
                    <Table.Td c={s.dropped > 0 ? 'red' : undefined}>{s.dropped.toLocaleString()}</Table.Td>
                    <Table.Td>{s.lastError ?? '—'}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
        {series.buffers.some((s) => s.points.length >= 2) && <TrendChart title="Buffered messages over the last hour" series={series.buffers} height={120} />}
      </Card>
      <Card withBorder>
        <Title order={4} mb="xs">
          Devices
        </Title>
        {!hb || hb.devices.length === 0 ? (
          <Text c="dimmed">No device is configured on this agent: add one in the config or on the commissioning tab.</Text>
        ) : (
          <Table.ScrollContainer minWidth={700}>
            <Table data-testid="devices">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Device</Table.Th>
                  <Table.Th>Link</Table.Th>
                  <Table.Th>Polls</Table.Th>
                  <Table.Th>Poll errors</Table.Th>
                  <Table.Th>Tag errors</Table.Th>
                  <Table.Th>Last poll</Table.Th>
                  <Table.Th>Last error</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {hb.devices.map((d) => (
                  <Table.Tr key={d.name}>
                    <Table.Td>
                      {d.name} <Text span size="xs" c="dimmed">({d.driver})</Text>
                    </Table.Td>
                    <Table.Td>
                      <LinkBadge link={d.link} />
                    </Table.Td>
                    <Table.Td>{d.polls.toLocaleString()}</Table.Td>
                    <Table.Td c={d.pollErrors > 0 ? 'red' : undefined}>{d.pollErrors.toLocaleString()}</Table.Td>
                    <Table.Td c={d.tagErrors > 0 ? 'orange' : undefined}>{d.tagErrors.toLocaleString()}</Table.Td>
                    <Table.Td>{formatAgo(d.lastPollAt)}</Table.Td>
                    <Table.Td>{d.lastError ?? '—'}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Card>
    </Stack>
  );
}

function Figure({ label, value }: { label: string; value: string }) {
  return (
    <div>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text fw={600}>{value}</Text>
    </div>
  );
}

function LinkBadge({ link }: { link: LinkState }) {
  return (
    <Badge variant="light" color={LINK_COLOR[link]}>
      {link}
    </Badge>
  );
}

function factLabel(key: string): string {
  return ({ hostname: 'Host name', os: 'Operating system', arch: 'Architecture', nodeVersion: 'Node.js' } as Record<string, string>)[key] ?? key;
}
