import { useState } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Group, List, NativeSelect, NumberInput, SimpleGrid, Stack, Table, Text, TextInput } from '@mantine/core';
import { GroupSchema, parseWith, type BrowseNode, type ConfigRevisionView, type Device } from '@edgefleet/protocol/browser';
import type { CommissioningApi } from './api';
import { planTags, type TagPlan } from './browse-tags';
import { describePath, devicesOf, withTagsAdded, type GroupTarget } from './config-document';
import { CommissioningFailure } from './explain';
import { FailureAlert } from './FailureAlert';
import { afterConfigChange } from './target';

const NEW_GROUP = '__new_group__';
const DEFAULT_INTERVAL_MS = 1000;

interface Added {
  revision: ConfigRevisionView;
  plan: TagPlan;
  group: string;
}

/**
 * Adds the ticked variables as tags to a group of the saved device, existing or new. Shows what
 * will be added first (names made valid and unique, types, access), then saves through the
 * config API: the desired config is read again just before, so the change applies to the
 * latest revision, and a refused document is explained field by field.
 */
export function AddTagsForm({
  api,
  agentId,
  device,
  selected,
  onAdded,
}: {
  api: CommissioningApi;
  agentId: string;
  /** The device as the desired config holds it now. */
  device: Device;
  selected: readonly BrowseNode[];
  onAdded: () => void;
}) {
  const queries = useQueryClient();
  const [choice, setChoice] = useState<string>(() => device.groups[0]?.name ?? NEW_GROUP);
  const [newName, setNewName] = useState('');
  const [intervalMs, setIntervalMs] = useState<number | ''>(DEFAULT_INTERVAL_MS);
  const [sent, setSent] = useState<unknown>(null);

  const isNew = choice === NEW_GROUP || !device.groups.some((g) => g.name === choice);
  const newGroupCheck = parseWith(GroupSchema, { name: newName.trim(), intervalMs: intervalMs === '' ? undefined : intervalMs, tags: [] });
  const newGroupIssue = (field: string) => (newGroupCheck.ok ? undefined : newGroupCheck.issues.find((i) => i.path === field)?.message);
  const clash = isNew && device.groups.some((g) => g.name === newName.trim()) ? `device '${device.name}' already has this group: choose it from the list` : undefined;
  const target: GroupTarget | null = !isNew
    ? { kind: 'existing', group: choice }
    : newGroupCheck.ok && !clash
      ? { kind: 'new', group: newGroupCheck.value.name, intervalMs: newGroupCheck.value.intervalMs }
      : null;
  const existingTags = isNew ? [] : (device.groups.find((g) => g.name === choice)?.tags ?? []);
  const preview = planTags(selected, existingTags);

  const add = useMutation({
    mutationFn: async (to: GroupTarget): Promise<Added> => {
      const fresh = await api.desiredConfig();
      if (!fresh) throw new CommissioningFailure('No config to add to', 'The agent has no desired config any more; reload the page.');
      const current = devicesOf(fresh.document).find((d) => d.name === device.name);
      const group = current?.groups.find((g) => g.name === to.group);
      const plan = planTags(selected, group?.tags ?? []);
      if (plan.tags.length === 0) throw new CommissioningFailure('Nothing to add', 'None of the selected variables can be added: see the reasons listed.');
      const change = withTagsAdded(fresh.document, device.name, to, plan.tags);
      if (!change.ok) throw new CommissioningFailure('The tags were not added', change.message);
      setSent(change.document);
      const n = plan.tags.length;
      const revision = await api.putConfig(change.document, `Added ${n} tag${n === 1 ? '' : 's'} from OPC UA browse`);
      return { revision, plan, group: to.group };
    },
    onSuccess: async (added) => {
      setChoice(added.group);
      onAdded();
      await afterConfigChange(queries, agentId);
    },
  });

  return (
    <Stack gap="sm" data-testid="add-tags-form">
      {selected.length > 0 && (
        <>
          <SimpleGrid cols={{ base: 1, sm: isNew ? 3 : 2 }}>
            <NativeSelect
              label="Add to group"
              value={isNew ? NEW_GROUP : choice}
              onChange={(e) => setChoice(e.currentTarget.value)}
              data={[...device.groups.map((g) => ({ value: g.name, label: `${g.name} (every ${g.intervalMs} ms, ${tagCount(g.tags.length)})` })), { value: NEW_GROUP, label: 'New group…' }]}
            />
            {isNew && (
              <>
                <TextInput label="New group name" required value={newName} onChange={(e) => setNewName(e.currentTarget.value)} error={newName !== '' ? (clash ?? newGroupIssue('name')) : undefined} />
                <NumberInput
                  label="Interval (ms)"
                  description="How often the group is read"
                  value={intervalMs}
                  onChange={(v) => setIntervalMs(typeof v === 'number' ? v : v.trim() === '' ? '' : Number(v))}
                  error={newGroupIssue('intervalMs')}
                  allowDecimal={false}
                />
              </>
            )}
          </SimpleGrid>
          <TagPreview plan={preview} />
          <Group>
            <Button data-testid="add-tags" disabled={!target || preview.tags.length === 0} loading={add.isPending} onClick={() => target && add.mutate(target)}>
              Add {preview.tags.length} as tag{preview.tags.length === 1 ? '' : 's'}
            </Button>
            {isNew && !target && (
              <Text size="sm" c="dimmed">
                Name the new group and give its interval first.
              </Text>
            )}
          </Group>
        </>
      )}
      {add.isError && <FailureAlert error={add.error} doing="Adding the tags" describePath={(p) => describePath(sent, p)} testId="add-tags-error" />}
      {add.data && <AddedReport added={add.data} device={device.name} />}
    </Stack>
  );
}

function TagPreview({ plan }: { plan: TagPlan }) {
  return (
    <Stack gap={4}>
      {plan.tags.length > 0 && (
        <Table.ScrollContainer minWidth={480}>
          <Table withTableBorder data-testid="add-tags-preview">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Tag name</Table.Th>
                <Table.Th>Type</Table.Th>
                <Table.Th>Access</Table.Th>
                <Table.Th>Address (NodeId)</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {plan.tags.map((t) => (
                <Table.Tr key={t.address}>
                  <Table.Td>{t.name}</Table.Td>
                  <Table.Td>{t.type}</Table.Td>
                  <Table.Td>{t.access}</Table.Td>
                  <Table.Td ff="monospace" style={{ wordBreak: 'break-all' }}>
                    {t.address}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <PlanNotes plan={plan} />
    </Stack>
  );
}

function PlanNotes({ plan }: { plan: TagPlan }) {
  return (
    <>
      {plan.renamed.length > 0 && (
        <List size="sm" data-testid="renamed-tags">
          {plan.renamed.map((r) => (
            <List.Item key={r.nodeId}>
              &apos;{r.from}&apos; is named &apos;{r.to}&apos; ({r.reason === 'name taken' ? 'a tag of that name exists in the group' : 'a name may not contain / + # nor start with $'})
            </List.Item>
          ))}
        </List>
      )}
      {plan.skipped.length > 0 && (
        <List size="sm" c="dimmed" data-testid="skipped-nodes">
          {plan.skipped.map((s) => (
            <List.Item key={s.nodeId}>
              &apos;{s.name}&apos; is not added: {s.reason}
            </List.Item>
          ))}
        </List>
      )}
    </>
  );
}

function AddedReport({ added, device }: { added: Added; device: string }) {
  const n = added.plan.tags.length;
  return (
    <Alert color="green" title={`Added ${n} tag${n === 1 ? '' : 's'}`} data-testid="add-tags-result">
      <Stack gap={4}>
        <Text size="sm">
          {added.plan.tags.map((t) => t.name).join(', ')} {n === 1 ? 'is' : 'are'} now in group &apos;{added.group}&apos; of device &apos;{device}&apos;, in revision {added.revision.revision} of the
          agent&apos;s config. The agent starts reading {n === 1 ? 'it' : 'them'} once it has applied that revision.
        </Text>
        <PlanNotes plan={added.plan} />
      </Stack>
    </Alert>
  );
}

function tagCount(n: number): string {
  return `${n} tag${n === 1 ? '' : 's'}`;
}
