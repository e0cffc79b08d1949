import { useCallback, useEffect, useMemo, useState } from 'react';
import { Alert, Badge, Button, EmptyState, Group, Loader, Stack, Text, TextInput, Title } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { isNumericTagType } from '@edgefleet/protocol/browser';
import { ApiError, type ApiClient } from '../api/client';
import { formatAgo } from '../format';
import { fetchDesiredConfig, fetchLiveValues, liveKeys } from './api';
import { buildSections, catalogOf, filterSections, tagKey, type LiveRow, type TagInfo } from './catalog';
import { GroupTable } from './GroupTable';
import { emptyHistory, recordPoll, type TagHistory } from './history';
import { describeLiveProblem } from './problems';
import { useNow } from './use-now';
import { WriteDialog } from './WriteDialog';

export interface LiveValuesProps {
  client: ApiClient;
  agentId: string;
  /** The user may write tags (operator, admin); false: no write button anywhere. */
  canWrite: boolean;
  /** How often the values are fetched; one second unless a test needs it faster. */
  pollIntervalMs?: number;
}

/** Past this many rows, groups start folded so the screen stays quick (a filter unfolds them). */
const OPEN_ROWS_LIMIT = 200;

/**
 * The latest values an agent holds, per device and group, fetched every second while the tab is
 * visible: each tag's value in its unit, its quality (the error number in words), when it was
 * read, and its recent trend. When the agent cannot be reached, the last values stay on screen,
 * dimmed, under the reason. Users who may write get a dialog for each `rw` tag.
 */
export function LiveValues(props: LiveValuesProps) {
  // A different agent starts afresh: no history, filter or folding carried over.
  return <LiveValuesScreen key={props.agentId} {...props} />;
}

function LiveValuesScreen({ client, agentId, canWrite, pollIntervalMs = 1000 }: LiveValuesProps) {
  const queryClient = useQueryClient();
  const now = useNow(1000);
  const [paused, setPaused] = useState(false);
  const [filter, setFilter] = useState('');
  const [toggled, setToggled] = useState<ReadonlySet<string>>(new Set());
  const [history, setHistory] = useState<TagHistory>(emptyHistory);
  const [writingKey, setWritingKey] = useState<string | null>(null);

  const config = useQuery({
    queryKey: liveKeys.config(agentId),
    queryFn: () => fetchDesiredConfig(client, agentId),
    staleTime: 30_000,
    refetchInterval: 60_000,
    retry: false,
  });
  const values = useQuery({
    queryKey: liveKeys.values(agentId),
    queryFn: () => fetchLiveValues(client, agentId),
    // TanStack Query skips interval fetches while the document is hidden (refetchIntervalInBackground
    // false), so a tab in the background does not keep asking the agent.
    refetchInterval: paused ? false : pollIntervalMs,
    refetchIntervalInBackground: false,
    staleTime: 0,
    // The next poll is the retry: an offline agent is answered at once, and a timeout already waited.
    retry: false,
  });

  const noConfig = config.error instanceof ApiError && config.error.status === 404;
  const catalog = useMemo(() => (config.data ? catalogOf(config.data.document) : []), [config.data]);
  const infoByKey = useMemo(() => {
    const m = new Map<string, TagInfo>();
    for (const d of catalog) for (const g of d.groups) for (const t of g.tags) m.set(tagKey(d.name, g.name, t.name), t);
    return m;
  }, [catalog]);

  useEffect(() => {
    const groups = values.data?.groups;
    if (!groups) return;
    const chartable = (device: string, group: string, tag: string) => {
      const info = infoByKey.get(tagKey(device, group, tag));
      return !info || isNumericTagType(info.type) || info.type === 'bool' || info.type === 'bit';
    };
    setHistory((h) => recordPoll(h, groups, { chartable }));
  }, [values.data, infoByKey]);

  const sections = useMemo(() => buildSections(catalog, values.data?.groups), [catalog, values.data]);
  const visible = useMemo(() => filterSections(sections, filter), [sections, filter]);
  const totalRows = useMemo(() => sections.reduce((n, s) => n + s.rows.length, 0), [sections]);
  const openByDefault = filter.trim() !== '' || totalRows <= OPEN_ROWS_LIMIT;

  const onToggle = useCallback((key: string) => {
    setToggled((prev) => {
      const next = new Set(prev);
      if (!next.delete(key)) next.add(key);
      return next;
    });
  }, []);
  const onWrite = useCallback((row: LiveRow) => setWritingKey(row.key), []);
  const onWritten = useCallback(() => void queryClient.invalidateQueries({ queryKey: liveKeys.values(agentId) }), [queryClient, agentId]);

  const writingRow = useMemo(() => {
    if (writingKey === null) return null;
    for (const s of sections) for (const r of s.rows) if (r.key === writingKey && r.info) return { ...r, info: r.info };
    return null;
  }, [sections, writingKey]);

  const stale = values.isError && values.data !== undefined;
  const problem = values.isError ? describeLiveProblem(values.error) : null;
  const lastUpdate = values.dataUpdatedAt > 0 ? new Date(values.dataUpdatedAt) : null;
  const loading = config.isPending || values.isPending;

  return (
    <Stack gap="md" data-testid="live-values">
      <Group justify="space-between" wrap="wrap" gap="sm">
        <Group gap="sm">
          <Title order={3}>Live values</Title>
          <StatusBadge paused={paused} problem={problem} connecting={values.isPending} />
          {lastUpdate && (
            <Text size="xs" c="dimmed" title={lastUpdate.toLocaleString()} data-testid="live-updated">
              updated {formatAgo(lastUpdate.toISOString(), now)}
            </Text>
          )}
        </Group>
        <Group gap="sm" wrap="wrap">
          <TextInput
            placeholder="Filter tags by name"
            aria-label="Filter tags"
            data-testid="live-filter"
            value={filter}
            onChange={(e) => setFilter(e.currentTarget.value)}
            w={{ base: 200, sm: 260 }}
          />
          <Button variant="default" onClick={() => setPaused((p) => !p)} data-testid="live-pause" aria-pressed={paused}>
            {paused ? 'Resume updates' : 'Pause updates'}
          </Button>
        </Group>
      </Group>

      {problem && (
        <Alert color={problem.color} title={problem.title} role="alert" data-testid="live-error">
          <Text size="sm">{problem.detail}</Text>
          {stale && lastUpdate && (
            <Text size="sm" mt={4}>
              Last values received {formatAgo(lastUpdate.toISOString(), now)} ({lastUpdate.toLocaleTimeString()}).
            </Text>
          )}
          {problem.reply && (
            <Text size="xs" c="dimmed" mt={4}>
              {problem.reply}
            </Text>
          )}
        </Alert>
      )}
      {config.isError && !noConfig && (
        <Alert color="yellow" title="The configuration cannot be loaded" data-testid="live-config-error">
          Tag types, units and write access are unknown until it loads: {config.error.message}
        </Alert>
      )}

      {loading ? (
        <Group gap="xs">
          <Loader size="sm" aria-label="Loading live values" />
          <Text size="sm" c="dimmed">
            Reading the agent&apos;s values…
          </Text>
        </Group>
      ) : sections.length === 0 ? (
        <EmptyState
          data-testid="live-empty"
          title={noConfig ? 'This agent has no configuration yet' : 'No tags to show'}
          description={
            noConfig
              ? 'Give it a configuration with devices and tags; their values appear here once the agent polls them.'
              : 'The configuration of this agent has no devices with tags. Add a device and its tags; their values appear here once the agent polls them.'
          }
        />
      ) : visible.length === 0 ? (
        <Text c="dimmed" data-testid="live-no-match">
          No tag name contains “{filter.trim()}”.
        </Text>
      ) : (
        visible.map((section) => (
          <GroupTable
            key={section.key}
            section={section}
            open={toggled.has(section.key) ? !openByDefault : openByDefault}
            onToggle={onToggle}
            history={history}
            stale={stale}
            canWrite={canWrite}
            onWrite={onWrite}
            now={now}
          />
        ))
      )}

      {canWrite && <WriteDialog client={client} agentId={agentId} row={writingRow} onClose={() => setWritingKey(null)} onWritten={onWritten} />}
    </Stack>
  );
}

function StatusBadge({ paused, problem, connecting }: { paused: boolean; problem: ReturnType<typeof describeLiveProblem> | null; connecting: boolean }) {
  const [color, text] = paused ? ['gray', 'Paused'] : problem ? [problem.color, problem.badge] : connecting ? ['blue', 'Connecting'] : ['green', 'Live'];
  return (
    <Badge color={color} variant="light" data-testid="live-status">
      {text}
    </Badge>
  );
}
