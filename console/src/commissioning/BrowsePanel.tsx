import { useMemo, useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { Button, Group, Paper, ScrollArea, Stack, Text, Title } from '@mantine/core';
import type { BrowseNode } from '@edgefleet/protocol/browser';
import type { CommissioningApi } from './api';
import { AddTagsForm } from './AddTagsForm';
import { BrowseLevel, type BrowseContext } from './BrowseTree';
import type { Target } from './target';

/**
 * The OPC UA address space of the device as a tree, from the Objects folder down, each node's
 * children fetched when it is expanded. Editors tick variables on a saved device and add them
 * as tags to one of its groups.
 */
export function BrowsePanel({ api, agentId, target, canEdit, onInvalid }: { api: CommissioningApi; agentId: string; target: Target | null; canEdit: boolean; onInvalid: () => void }) {
  const queries = useQueryClient();
  const [started, setStarted] = useState(false);
  const [selected, setSelected] = useState<ReadonlyMap<string, BrowseNode>>(new Map());
  // A saved device is browsed by name over the agent's open connection; a new one in full.
  const deviceRef = target ? (target.kind === 'saved' ? target.device.name : target.device) : null;
  const keyBase = useMemo(() => ['commissioning', agentId, 'browse', target?.kind === 'saved' ? `saved:${target.device.name}` : `new:${JSON.stringify(target?.device ?? null)}`], [agentId, target]);
  const selectable = canEdit && target?.kind === 'saved';

  const ctx: BrowseContext | null = deviceRef
    ? {
        api,
        device: deviceRef,
        keyBase,
        selectable,
        selected,
        toggle: (node, on) =>
          setSelected((prev) => {
            const next = new Map(prev);
            if (on) next.set(node.nodeId, node);
            else next.delete(node.nodeId);
            return next;
          }),
      }
    : null;

  return (
    <Paper withBorder p="md">
      <Stack gap="sm">
        <Group justify="space-between" wrap="wrap">
          <Stack gap={0}>
            <Title order={4}>Browse the OPC UA server</Title>
            <Text size="sm" c="dimmed">
              {selectable ? 'Expand folders and objects, tick the variables to read, and add them as tags.' : 'Expand folders and objects to see the variables the server offers.'}
            </Text>
          </Stack>
          <Group gap="xs">
            {started && ctx && (
              <Button variant="default" onClick={() => void queries.resetQueries({ queryKey: keyBase })}>
                Refresh
              </Button>
            )}
            {!started && (
              <Button
                data-testid="browse"
                onClick={() => {
                  if (!ctx) onInvalid();
                  else setStarted(true);
                }}
              >
                Browse
              </Button>
            )}
          </Group>
        </Group>
        {started && ctx && (
          <ScrollArea.Autosize mah={520} type="auto" offsetScrollbars>
            <Stack gap={0} data-testid="browse-tree">
              <BrowseLevel ctx={ctx} parentLabel="the Objects folder" depth={0} />
            </Stack>
          </ScrollArea.Autosize>
        )}
        {canEdit && target?.kind === 'new' && started && (
          <Text size="sm" c="dimmed">
            Save the device to the config to add the variables you find as tags.
          </Text>
        )}
        {selectable && target && (
          <Stack gap="xs">
            {selected.size > 0 && (
              <Group gap="xs">
                <Text size="sm" fw={500} data-testid="selected-count">
                  {selected.size} variable{selected.size === 1 ? '' : 's'} selected
                </Text>
                <Button size="compact-xs" variant="subtle" onClick={() => setSelected(new Map())}>
                  Clear selection
                </Button>
              </Group>
            )}
            <AddTagsForm api={api} agentId={agentId} device={target.device} selected={[...selected.values()]} onAdded={() => setSelected(new Map())} />
          </Stack>
        )}
      </Stack>
    </Paper>
  );
}
