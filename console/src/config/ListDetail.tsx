import type { ReactNode } from 'react';
import { Badge, Button, Grid, Group, NavLink, Paper, ScrollArea, Stack, Text } from '@mantine/core';
import { isObject, parsePathString, pathString, type Json, type Path } from './doc-path';
import { useEditorActions, useIssues } from './editor-context';
import { newItem, type JsonSchema } from './json-schema';
import { useReveal } from './reveal';
import { useRemembered } from './ui-memory';

export interface ListDetailProps {
  /** Where the list is: `['devices']`, `['northbound']`. */
  path: Path;
  items: readonly Json[];
  itemSchema: JsonSchema;
  /** `device`, `sink`. */
  noun: string;
  /** A word under each item's name (its driver, its kind). */
  describe: (item: Json) => string;
  /** What to show when the list is empty. */
  empty: ReactNode;
  /** The editor of the selected item. */
  children: (index: number, item: Json) => ReactNode;
}

/**
 * A list of named items on the left (with their problem counts) and the selected one's form on
 * the right; stacked on narrow screens. Adding selects the new item.
 */
export function ListDetail({ path, items, itemSchema, noun, describe, empty, children }: ListDetailProps) {
  const { readOnly, set } = useEditorActions();
  const issues = useIssues();
  const pathStr = pathString(path);
  const [selected, setSelected] = useRemembered(`selected:${pathStr}`, 0);
  const index = Math.min(selected, items.length - 1);
  useReveal(pathStr, (target) => {
    const i = parsePathString(target.slice(pathStr.length))[0];
    if (typeof i === 'number') setSelected(i);
  });

  const add = () => {
    set(path, [...items, newItem(itemSchema, noun, items)]);
    setSelected(items.length);
  };
  const addButton = !readOnly && (
    <Button variant="light" size="xs" onClick={add} data-testid={`add-${pathStr}`}>
      Add {noun}
    </Button>
  );

  if (items.length === 0) {
    return (
      <Paper withBorder p="lg">
        <Stack align="flex-start" gap="sm">
          <Text c="dimmed">{empty}</Text>
          {addButton}
        </Stack>
      </Paper>
    );
  }
  const item = items[index] ?? null;
  return (
    <Grid gap="md">
      <Grid.Col span={{ base: 12, md: 3 }}>
        <Paper withBorder p="xs">
          <Stack gap={4}>
            <ScrollArea.Autosize mah={480}>
              {items.map((it, i) => {
                const name = isObject(it) && typeof it.name === 'string' && it.name !== '' ? it.name : `(${noun} ${i + 1} has no name)`;
                const problems = issues.countWithin(`${pathStr}[${i}]`);
                return (
                  <NavLink
                    key={i}
                    active={i === index}
                    label={name}
                    description={describe(it)}
                    onClick={() => setSelected(i)}
                    data-testid={`select-${pathStr}[${i}]`}
                    rightSection={
                      problems > 0 ? (
                        <Badge color="red" size="sm" variant="filled" aria-label={`${problems} problems`}>
                          {problems}
                        </Badge>
                      ) : undefined
                    }
                  />
                );
              })}
            </ScrollArea.Autosize>
            {addButton && <Group>{addButton}</Group>}
          </Stack>
        </Paper>
      </Grid.Col>
      <Grid.Col span={{ base: 12, md: 9 }}>
        <Paper withBorder p="md" key={index}>
          <Stack gap="md">
            {children(index, item)}
            {!readOnly && (
              <Group justify="flex-end">
                <Button
                  variant="subtle"
                  color="red"
                  size="xs"
                  data-testid={`remove-${pathStr}[${index}]`}
                  onClick={() => {
                    set([...path, index], undefined);
                    setSelected(Math.max(0, index - 1));
                  }}
                >
                  Remove this {noun}
                </Button>
              </Group>
            )}
          </Stack>
        </Paper>
      </Grid.Col>
    </Grid>
  );
}
