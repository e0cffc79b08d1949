import { memo, useMemo, useState, type ReactNode } from 'react';
import { ActionIcon, Button, Checkbox, Group, Pagination, Stack, Table, Text, TextInput } from '@mantine/core';
import { isObject, parsePathString, pathString, type Json, type JsonObject, type Path } from './doc-path';
import { useEditorActions, useIssues } from './editor-context';
import { fieldKind, helpText, humanize, newItem, type JsonSchema } from './json-schema';
import { LeafField } from './LeafField';
import { focusField, useReveal } from './reveal';
import { useRemembered } from './ui-memory';
import type { IssueIndex } from './issues';

export interface ItemTableProps {
  /** The schema of one row: an object whose fields are all single values (a tag, a subscription). */
  itemSchema: JsonSchema;
  path: Path;
  items: readonly Json[];
  /** What one row is called: `tag`, `subscription`. */
  noun: string;
  /** Buttons shown above the table (import, export). */
  toolbar?: ReactNode;
  pageSize?: number;
}

const COLUMN_WIDTH: Record<string, number> = { name: 140, address: 160, description: 180, type: 110, device: 160, group: 160 };

/** The fields shown first; the rest follow in schema order. */
const LEAD = ['name', 'address', 'type', 'access'];

/**
 * A list of flat objects as a compact editable table, one row per item and one column per field
 * of the schema. Long lists (thousands of tags) are paged and can be filtered by text or to the
 * rows with problems; only the rows of the page are rendered.
 */
export function ItemTable({ itemSchema, path, items, noun, toolbar, pageSize = 25 }: ItemTableProps) {
  const { readOnly, set } = useEditorActions();
  const issues = useIssues();
  const pathStr = pathString(path);
  const kind = fieldKind(itemSchema);
  const columns = useMemo(() => {
    if (kind.kind !== 'object') return [];
    const lead = LEAD.flatMap((key) => kind.properties.filter(([k]) => k === key));
    return [...lead, ...kind.properties.filter(([k]) => !LEAD.includes(k))].map(([key, schema]) => ({ key, schema, label: humanize(key), required: kind.required.has(key) }));
  }, [kind]);
  const [filter, setFilter] = useState('');
  const [onlyProblems, setOnlyProblems] = useState(false);
  const [page, setPage] = useRemembered(`page:${pathStr}`, 1);

  const rows = useMemo(() => {
    const needle = filter.trim().toLowerCase();
    const out: number[] = [];
    items.forEach((item, i) => {
      if (onlyProblems && issues.countWithin(`${pathStr}[${i}]`) === 0) return;
      if (needle && !(isObject(item) && Object.values(item).some((v) => String(v).toLowerCase().includes(needle)))) return;
      out.push(i);
    });
    return out;
  }, [items, filter, onlyProblems, issues, pathStr]);
  const pages = Math.max(1, Math.ceil(rows.length / pageSize));
  const current = Math.min(page, pages);
  const visible = rows.slice((current - 1) * pageSize, current * pageSize);
  const problems = issues.countWithin(pathStr) - (issues.messageAt(pathStr) ? 1 : 0);

  useReveal(pathStr, (target) => {
    const index = parsePathString(target.slice(pathStr.length))[0];
    if (typeof index !== 'number') return;
    setFilter('');
    setOnlyProblems(false);
    setPage(Math.floor(index / pageSize) + 1);
    setTimeout(() => focusField(target), 0);
  });

  const add = () => {
    set(path, [...items, newItem(itemSchema, noun, items)]);
    setFilter('');
    setOnlyProblems(false);
    setPage(Math.ceil((items.length + 1) / pageSize));
  };

  return (
    <Stack gap="xs" data-testid={`table-${pathStr}`}>
      <Group justify="space-between" gap="xs">
        <Group gap="xs">
          {items.length > pageSize && (
            <TextInput
              size="xs"
              placeholder={`Filter ${noun}s`}
              aria-label={`Filter ${noun}s`}
              value={filter}
              onChange={(e) => {
                setFilter(e.currentTarget.value);
                setPage(1);
              }}
            />
          )}
          {problems > 0 && (
            <Checkbox
              size="xs"
              label={`Only ${noun}s with problems`}
              checked={onlyProblems}
              onChange={(e) => {
                setOnlyProblems(e.currentTarget.checked);
                setPage(1);
              }}
            />
          )}
          <Text size="xs" c="dimmed">
            {items.length} {items.length === 1 ? noun : `${noun}s`}
            {rows.length !== items.length ? `, ${rows.length} shown` : ''}
          </Text>
        </Group>
        <Group gap="xs">{toolbar}</Group>
      </Group>
      <OwnIssue issues={issues} path={pathStr} />
      {items.length === 0 ? (
        <Text size="sm" c="dimmed">
          No {noun}s yet.{readOnly ? '' : ` Add one${toolbar ? ' or import a file' : ''}.`}
        </Text>
      ) : (
        <Table.ScrollContainer minWidth={Math.max(480, columns.length * 120)}>
          <Table withTableBorder verticalSpacing={4} horizontalSpacing={6} striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th w={40}>#</Table.Th>
                {columns.map((c) => (
                  <Table.Th key={c.key} title={helpText(c.schema, { required: c.required })}>
                    {c.label}
                    {c.required ? ' *' : ''}
                  </Table.Th>
                ))}
                {!readOnly && <Table.Th w={36} aria-label="Actions" />}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {visible.map((i) => (
                <Row key={i} index={i} item={items[i] ?? null} path={path} columns={columns} noun={noun} issues={issues} readOnly={readOnly} onRemove={() => set([...path, i], undefined)} />
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {rows.length === 0 && items.length > 0 && (
        <Text size="sm" c="dimmed">
          No {noun} matches.
        </Text>
      )}
      <Group justify="space-between">
        {!readOnly ? (
          <Button variant="light" size="xs" onClick={add} data-testid={`add-${pathStr}`}>
            Add {noun}
          </Button>
        ) : (
          <span />
        )}
        {pages > 1 && <Pagination size="sm" total={pages} value={current} onChange={setPage} aria-label={`${noun} pages`} />}
      </Group>
    </Stack>
  );
}

function OwnIssue({ issues, path }: { issues: IssueIndex; path: string }) {
  const message = issues.messageAt(path);
  return message ? (
    <Text c="red" size="sm" role="alert">
      {message}
    </Text>
  ) : null;
}

interface Column {
  key: string;
  schema: JsonSchema;
  label: string;
  required: boolean;
}

interface RowProps {
  index: number;
  item: Json;
  path: Path;
  columns: Column[];
  noun: string;
  issues: IssueIndex;
  readOnly: boolean;
  onRemove: () => void;
}

const Row = memo(
  function Row({ index, item, path, columns, noun, issues, readOnly, onRemove }: RowProps) {
    const obj: JsonObject = isObject(item) ? item : {};
    const rowPath = [...path, index];
    const rowStr = pathString(rowPath);
    const known = new Set(columns.map((c) => c.key));
    // Problems of the row that no column shows: the row's own, or of fields the table has no column for.
    const other = issues.within(rowStr).filter((i) => {
      if (i.path === rowStr) return true;
      const key = parsePathString(i.path.slice(rowStr.length))[0];
      return typeof key !== 'string' || !known.has(key);
    });
    const name = typeof obj.name === 'string' && obj.name !== '' ? obj.name : `${index + 1}`;
    return (
      <>
        <Table.Tr data-testid={`row-${rowStr}`}>
          <Table.Td>
            <Text size="xs" c="dimmed">
              {index + 1}
            </Text>
          </Table.Td>
          {columns.map((c) => {
            const cellPath = [...rowPath, c.key];
            const cellStr = pathString(cellPath);
            return (
              <Table.Td key={c.key} miw={COLUMN_WIDTH[c.key] ?? 90}>
                <LeafField
                  schema={c.schema}
                  kind={fieldKind(c.schema)}
                  path={cellPath}
                  pathStr={cellStr}
                  value={obj[c.key]}
                  label={`${c.label} of ${noun} ${name}`}
                  required={c.required}
                  compact
                  error={issues.messageAt(cellStr)}
                />
              </Table.Td>
            );
          })}
          {!readOnly && (
            <Table.Td>
              <ActionIcon variant="subtle" color="red" size="sm" aria-label={`Remove ${noun} ${name}`} onClick={onRemove}>
                ×
              </ActionIcon>
            </Table.Td>
          )}
        </Table.Tr>
        {other.length > 0 && (
          <Table.Tr>
            <Table.Td />
            <Table.Td colSpan={columns.length + (readOnly ? 0 : 1)}>
              {other.map((i) => (
                <Text key={`${i.path}:${i.message}`} c="red" size="xs" role="alert">
                  {i.path === rowStr ? i.message : `${i.path.slice(rowStr.length + 1)}: ${i.message}`}
                </Text>
              ))}
            </Table.Td>
          </Table.Tr>
        )}
      </>
    );
  },
  (a, b) => a.item === b.item && a.index === b.index && a.columns === b.columns && a.readOnly === b.readOnly && a.noun === b.noun && sameRowIssues(a, b),
);

/** Whether the row's issues are the same in both renders (most edits change none of a page's rows). */
function sameRowIssues(a: RowProps, b: RowProps): boolean {
  if (a.issues === b.issues) return true;
  const rowStr = `${pathString(a.path)}[${a.index}]`;
  const x = a.issues.within(rowStr);
  const y = b.issues.within(rowStr);
  return x.length === y.length && x.every((i, n) => i.path === y[n]?.path && i.message === y[n]?.message);
}
