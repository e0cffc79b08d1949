import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { ActionIcon, Badge, Box, Checkbox, Group, Loader, Stack, Text } from '@mantine/core';
import type { BrowseNode, Device } from '@edgefleet/protocol/browser';
import type { CommissioningApi } from './api';
import { tagTypeForNode, whyNotATag } from './browse-tags';
import { FailureAlert } from './FailureAlert';

/** What every level of the tree shares. */
export interface BrowseContext {
  api: CommissioningApi;
  /** A saved device by name, or a new one in full. */
  device: string | Device;
  /** Query key prefix of this device's browse results (a key per node below it). */
  keyBase: readonly unknown[];
  /** Whether variables can be ticked (editors, on a saved device). */
  selectable: boolean;
  selected: ReadonlyMap<string, BrowseNode>;
  toggle: (node: BrowseNode, on: boolean) => void;
}

const INDENT_PX = 22;

/**
 * The children of one node, fetched when it is first shown (the root when the user starts
 * browsing, each node when it is expanded) and kept while the page lives, so collapsing and
 * expanding again asks the agent nothing.
 */
export function BrowseLevel({ ctx, nodeId, parentLabel, depth }: { ctx: BrowseContext; nodeId?: string; parentLabel: string; depth: number }) {
  const children = useQuery({
    queryKey: [...ctx.keyBase, nodeId ?? 'objects'],
    queryFn: () => ctx.api.browse(ctx.device, nodeId),
    retry: false,
    staleTime: Infinity,
  });
  const pad = { paddingLeft: depth * INDENT_PX };
  if (children.isPending) {
    return (
      <Group gap="xs" style={pad} py={4}>
        <Loader size="xs" aria-label={`Loading the children of ${parentLabel}`} />
        <Text size="sm" c="dimmed">
          Browsing {parentLabel}…
        </Text>
      </Group>
    );
  }
  if (children.isError) {
    return (
      <Box style={pad} py={4}>
        <FailureAlert error={children.error} doing={`Browsing ${parentLabel}`} onRetry={() => void children.refetch()} testId="browse-error" />
      </Box>
    );
  }
  if (children.data.children.length === 0) {
    return (
      <Text size="sm" c="dimmed" style={pad} py={4}>
        {parentLabel} has no children.
      </Text>
    );
  }
  return (
    <Stack gap={0} role="group" aria-label={`Children of ${parentLabel}`}>
      {children.data.children.map((child, i) => (
        <BrowseRow key={`${child.nodeId}#${i}`} ctx={ctx} node={child} depth={depth} />
      ))}
    </Stack>
  );
}

function accessText(node: BrowseNode): string | undefined {
  if (node.readable === undefined && node.writable === undefined) return undefined;
  if (node.readable && node.writable) return 'read/write';
  if (node.readable) return 'read only';
  if (node.writable) return 'write only';
  return 'no access';
}

function BrowseRow({ ctx, node, depth }: { ctx: BrowseContext; node: BrowseNode; depth: number }) {
  const [open, setOpen] = useState(false);
  const label = node.displayName || node.browseName;
  const isVariable = node.nodeClass === 'Variable';
  const notATag = isVariable ? whyNotATag(node) : undefined;
  const tagType = isVariable ? tagTypeForNode(node) : undefined;
  const access = accessText(node);
  return (
    <>
      <Group gap={6} wrap="nowrap" align="flex-start" py={3} style={{ paddingLeft: depth * INDENT_PX }} data-testid="browse-node" data-node-id={node.nodeId}>
        {node.hasChildren ? (
          <ActionIcon variant="subtle" size="sm" onClick={() => setOpen((o) => !o)} aria-label={`${open ? 'Collapse' : 'Expand'} ${label}`} aria-expanded={open}>
            <Text size="xs" component="span" aria-hidden>
              {open ? '▾' : '▸'}
            </Text>
          </ActionIcon>
        ) : (
          <Box w={22} style={{ flexShrink: 0 }} />
        )}
        {ctx.selectable && isVariable && (
          <Checkbox
            mt={2}
            aria-label={`Select ${label}`}
            checked={ctx.selected.has(node.nodeId)}
            disabled={notATag !== undefined}
            title={notATag ? `Cannot be a tag: ${notATag}` : undefined}
            onChange={(e) => ctx.toggle(node, e.currentTarget.checked)}
          />
        )}
        <Stack gap={0} style={{ minWidth: 0 }}>
          <Group gap={6} wrap="wrap">
            <Text size="sm" fw={500}>
              {label}
            </Text>
            <Badge size="xs" variant="light" color={isVariable ? 'blue' : node.nodeClass === 'Object' ? 'gray' : 'grape'}>
              {node.nodeClass}
            </Badge>
            {node.dataType && (
              <Badge size="xs" variant="outline" color="gray" tt="none">
                {node.dataType}
                {tagType ? ` → ${tagType}` : ''}
              </Badge>
            )}
            {access && (
              <Badge size="xs" variant="outline" color={node.writable ? 'orange' : 'gray'} tt="none">
                {access}
              </Badge>
            )}
          </Group>
          <Text size="xs" c="dimmed" ff="monospace" style={{ wordBreak: 'break-all' }}>
            {node.nodeId}
          </Text>
          {ctx.selectable && notATag && (
            <Text size="xs" c="dimmed">
              Cannot be a tag: {notATag}
            </Text>
          )}
        </Stack>
      </Group>
      {open && <BrowseLevel ctx={ctx} nodeId={node.nodeId} parentLabel={label} depth={depth + 1} />}
    </>
  );
}
