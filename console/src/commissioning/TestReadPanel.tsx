import { useState } from 'react';
import { useMutation } from '@tanstack/react-query';
import { Button, Group, NativeSelect, Paper, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import type { Device } from '@edgefleet/protocol/browser';
import type { CommissioningApi, ReadResult } from './api';
import { FailureAlert } from './FailureAlert';
import { GroupValuesTable } from './GroupValuesTable';

const WHOLE_GROUP = '';

interface Read {
  args: { device: string; group: string; tag?: string };
  result: ReadResult;
  at: Date;
}

/**
 * "Test read": one group, or one tag of it, read from the device now by the agent, with the
 * config it runs. Values, and each failed tag's error in words.
 */
export function TestReadPanel({ api, device }: { api: CommissioningApi; device: Device | null }) {
  const [groupName, setGroupName] = useState<string | null>(null);
  const [tagName, setTagName] = useState<string>(WHOLE_GROUP);
  const group = device?.groups.find((g) => g.name === groupName) ?? device?.groups[0];
  const tag = group?.tags.some((t) => t.name === tagName) ? tagName : WHOLE_GROUP;
  const read = useMutation({
    mutationFn: async (args: Read['args']): Promise<Read> => ({ args, result: await api.read(args), at: new Date() }),
  });

  return (
    <Paper withBorder p="md">
      <Stack gap="sm">
        <Stack gap={0}>
          <Title order={4}>Test read</Title>
          <Text size="sm" c="dimmed">
            Reads a group, or one of its tags, from the device now (not from the last poll).
          </Text>
        </Stack>
        {!device ? (
          <Text size="sm" c="dimmed">
            Test read works on saved devices: choose one under &quot;Saved device&quot;.
          </Text>
        ) : !group ? (
          <Text size="sm" c="dimmed">
            Device &apos;{device.name}&apos; has no groups yet, so there is nothing to read. Add tags first{device.driver === 'opcua' ? ' (browse the server above)' : ''}.
          </Text>
        ) : (
          <>
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              <NativeSelect
                label="Group"
                value={group.name}
                onChange={(e) => {
                  setGroupName(e.currentTarget.value);
                  setTagName(WHOLE_GROUP);
                }}
                data={device.groups.map((g) => ({ value: g.name, label: `${g.name} (${g.tags.length} tag${g.tags.length === 1 ? '' : 's'})` }))}
              />
              <NativeSelect
                label="Tag"
                value={tag}
                onChange={(e) => setTagName(e.currentTarget.value)}
                data={[{ value: WHOLE_GROUP, label: 'Every tag of the group' }, ...group.tags.map((t) => ({ value: t.name, label: `${t.name} (${t.type})` }))]}
              />
            </SimpleGrid>
            <div>
              <Button
                data-testid="test-read"
                loading={read.isPending}
                onClick={() => read.mutate({ device: device.name, group: group.name, ...(tag === WHOLE_GROUP ? {} : { tag }) })}
              >
                Read now
              </Button>
            </div>
          </>
        )}
        {read.isError && <FailureAlert error={read.error} doing="Reading" testId="test-read-error" />}
        {read.data && (
          <Stack gap={4}>
            <Group gap="xs">
              <Text size="sm" fw={500}>
                {read.data.args.tag ? `Tag '${read.data.args.tag}'` : `Group '${read.data.args.group}'`} of &apos;{read.data.args.device}&apos;
              </Text>
              <Text size="xs" c="dimmed">
                read at {new Date(read.data.result.timestamp).toLocaleTimeString()}
              </Text>
            </Group>
            <GroupValuesTable values={read.data.result} testId="test-read-result" />
          </Stack>
        )}
      </Stack>
    </Paper>
  );
}
