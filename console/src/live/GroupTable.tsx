import { Badge, Box, Button, Group, Paper, Table, Text, UnstyledButton } from '@mantine/core';
import { isNumericTagType } from '@edgefleet/protocol/browser';
import { Sparkline, type Point } from '../charts';
import { formatAgo, formatDuration } from '../format';
import type { LiveRow, LiveSection } from './catalog';
import type { TagHistory } from './history';
import { describeTagError, describeTagType, formatTagValue } from './tag-format';

export interface GroupTableProps {
  section: LiveSection;
  open: boolean;
  onToggle: (key: string) => void;
  history: TagHistory;
  /** The last poll failed: the values are the last ones received. */
  stale: boolean;
  canWrite: boolean;
  onWrite: (row: LiveRow) => void;
  now: number;
}

/** One device/group: a header that folds it away, and a row per tag updating in place. */
export function GroupTable({ section, open, onToggle, history, stale, canWrite, onWrite, now }: GroupTableProps) {
  const errors = section.rows.filter((r) => r.error !== undefined).length;
  const late = section.timestamp !== undefined && section.intervalMs !== null && now - section.timestamp > Math.max(3 * section.intervalMs, 30_000);
  const headerId = `live-group-${section.key}`;
  return (
    <Paper withBorder radius="md" data-testid={`group-${section.key}`}>
      <UnstyledButton
        onClick={() => onToggle(section.key)}
        aria-expanded={open}
        aria-controls={open ? `${headerId}-rows` : undefined}
        id={headerId}
        data-testid={`group-toggle-${section.key}`}
        w="100%"
        px="md"
        py="xs"
      >
        <Group justify="space-between" wrap="wrap" gap="xs">
          <Group gap="xs" wrap="nowrap">
            <Text aria-hidden size="sm" c="dimmed" w={12}>
              {open ? '▾' : '▸'}
            </Text>
            <Text fw={600}>{section.device}</Text>
            <Text c="dimmed">/</Text>
            <Text fw={600}>{section.group}</Text>
            {!section.enabled && (
              <Badge color="gray" variant="outline" size="sm">
                disabled
              </Badge>
            )}
          </Group>
          <Group gap="xs">
            {errors > 0 && (
              <Badge color="red" variant="light" size="sm">
                {errors} {errors === 1 ? 'error' : 'errors'}
              </Badge>
            )}
            {late && (
              <Badge color="orange" variant="light" size="sm">
                not read for {formatDuration(now - (section.timestamp ?? now))}
              </Badge>
            )}
            <Text size="xs" c="dimmed">
              {section.rows.length} {section.rows.length === 1 ? 'tag' : 'tags'}
              {section.intervalMs !== null && ` · every ${formatDuration(section.intervalMs)}`}
              {section.timestamp !== undefined && ` · read ${formatAgo(new Date(section.timestamp).toISOString(), now)}`}
            </Text>
          </Group>
        </Group>
      </UnstyledButton>
      {open && (
        <Table.ScrollContainer minWidth={720} id={`${headerId}-rows`}>
          {/* Fixed layout: the columns of every group line up, whatever their contents. */}
          <Table layout="fixed" verticalSpacing={6} highlightOnHover aria-labelledby={headerId} style={{ opacity: stale ? 0.6 : 1 }}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th w="24%">Tag</Table.Th>
                <Table.Th w="20%">Value</Table.Th>
                <Table.Th w="22%">Quality</Table.Th>
                <Table.Th w="12%">Updated</Table.Th>
                <Table.Th w={136}>Trend</Table.Th>
                {canWrite && <Table.Th w={80} aria-label="Actions" />}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {section.rows.map((row) => (
                <TagRow
                  key={row.key}
                  row={row}
                  timestamp={section.timestamp}
                  enabled={section.enabled}
                  points={history.get(row.key)}
                  canWrite={canWrite}
                  onWrite={onWrite}
                  now={now}
                />
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Paper>
  );
}

interface TagRowProps {
  row: LiveRow;
  timestamp: number | undefined;
  enabled: boolean;
  points: ReadonlyArray<Point> | undefined;
  canWrite: boolean;
  onWrite: (row: LiveRow) => void;
  now: number;
}

const NO_POINTS: ReadonlyArray<Point> = [];

function TagRow({ row, timestamp, enabled, points, canWrite, onWrite, now }: TagRowProps) {
  const { info } = row;
  const chartable = info ? isNumericTagType(info.type) || info.type === 'bool' || info.type === 'bit' : points !== undefined;
  const writable = canWrite && enabled && info?.access === 'rw';
  const exact = timestamp !== undefined ? new Date(timestamp) : null;
  return (
    <Table.Tr data-testid={`row-${row.key}`}>
      <Table.Td>
        <Text size="sm" fw={500} title={info?.description}>
          {row.tag}
        </Text>
        <Text size="xs" c="dimmed">
          {info ? `${describeTagType(info)}${info.access === 'rw' ? ' · writable' : ''}` : 'not in the desired config'}
        </Text>
      </Table.Td>
      <Table.Td>
        <Text
          size="sm"
          ff="monospace"
          data-testid={`value-${row.key}`}
          style={{ fontVariantNumeric: 'tabular-nums', overflowWrap: 'anywhere' }}
          lineClamp={3}
        >
          {row.value !== undefined ? formatTagValue(row.value, info) : '—'}
        </Text>
      </Table.Td>
      <Table.Td data-testid={`quality-${row.key}`}>
        <Quality row={row} enabled={enabled} />
      </Table.Td>
      <Table.Td>
        {exact ? (
          <Text size="sm" title={`${exact.toLocaleString()} (${exact.toISOString()})`}>
            {formatAgo(exact.toISOString(), now)}
          </Text>
        ) : (
          <Text size="sm" c="dimmed">
            —
          </Text>
        )}
      </Table.Td>
      <Table.Td>
        {chartable ? (
          <Sparkline points={points ?? NO_POINTS} width={120} height={26} label={`${row.tag}, last values`} data-testid={`trend-${row.key}`} />
        ) : (
          <Text size="xs" c="dimmed">
            —
          </Text>
        )}
      </Table.Td>
      {canWrite && (
        <Table.Td>
          {writable && (
            <Button size="compact-sm" variant="light" onClick={() => onWrite(row)} aria-label={`Write ${row.tag}`} data-testid={`write-${row.key}`}>
              Write
            </Button>
          )}
        </Table.Td>
      )}
    </Table.Tr>
  );
}

function Quality({ row, enabled }: { row: LiveRow; enabled: boolean }) {
  if (row.error !== undefined) {
    const e = describeTagError(row.error);
    return (
      <Box>
        <Text size="sm" fw={600} c="red">
          {e.label} ({e.code})
        </Text>
        <Text size="xs" c="dimmed">
          {e.meaning}
        </Text>
      </Box>
    );
  }
  if (row.value !== undefined) {
    return (
      <Badge color="green" variant="light" size="sm">
        Good
      </Badge>
    );
  }
  return (
    <Text size="xs" c="dimmed">
      {enabled ? 'No value yet' : 'Device disabled'}
    </Text>
  );
}
