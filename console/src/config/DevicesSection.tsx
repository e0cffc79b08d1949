import { Accordion, Badge, Button, Group, Stack, Text, Title } from '@mantine/core';
import { isObject, parsePathString, pathString, type Json, type Path } from './doc-path';
import { useEditorActions, useIssues } from './editor-context';
import { DEVICE_SCHEMA, GROUP_SCHEMA, TAG_SCHEMA, newItem } from './json-schema';
import { ItemTable } from './ItemTable';
import { ListDetail } from './ListDetail';
import { useReveal } from './reveal';
import { SchemaField } from './SchemaField';
import { useRemembered } from './ui-memory';
import { TagCsvControls } from './TagCsvControls';

const nameOf = (v: Json | undefined, fallback: string) => (isObject(v) && typeof v.name === 'string' && v.name !== '' ? v.name : fallback);

/** The southbound devices: pick one, edit its driver and settings, then its groups and their tags. */
export function DevicesSection({ devices }: { devices: readonly Json[] }) {
  return (
    <ListDetail
      path={['devices']}
      items={devices}
      itemSchema={DEVICE_SCHEMA}
      noun="device"
      describe={(d) => (isObject(d) && typeof d.driver === 'string' ? d.driver : '')}
      empty="No devices yet. Add the first machine this agent reads from: a PLC over Modbus, an OPC UA server, or the simulator to try things out."
    >
      {(i, device) => (
        <>
          <SchemaField schema={DEVICE_SCHEMA} path={['devices', i]} value={device} label="Device" omit={['groups']} required bare />
          <GroupList path={['devices', i, 'groups']} device={device} />
        </>
      )}
    </ListDetail>
  );
}

/** A device's groups, each opening to its settings and its tag table. Only open groups are rendered. */
function GroupList({ path, device }: { path: Path; device: Json }) {
  const { readOnly, set } = useEditorActions();
  const issues = useIssues();
  const pathStr = pathString(path);
  const groups: Json[] = isObject(device) && Array.isArray(device.groups) ? device.groups : [];
  const [open, setOpen] = useRemembered<string[]>(`open:${pathStr}`, () => (groups.length === 1 ? ['0'] : []));
  useReveal(pathStr, (target) => {
    const g = parsePathString(target.slice(pathStr.length))[0];
    if (typeof g === 'number') setOpen((o) => (o.includes(String(g)) ? o : [...o, String(g)]));
  });
  const add = () => {
    set(path, [...groups, newItem(GROUP_SCHEMA, 'group', groups)]);
    setOpen((o) => [...o, String(groups.length)]);
  };
  return (
    <Stack gap="xs">
      <Group justify="space-between">
        <Title order={5}>Groups</Title>
        {!readOnly && (
          <Button variant="light" size="xs" onClick={add} data-testid={`add-${pathStr}`}>
            Add group
          </Button>
        )}
      </Group>
      {issues.messageAt(pathStr) && (
        <Text c="red" size="sm" role="alert">
          {issues.messageAt(pathStr)}
        </Text>
      )}
      {groups.length === 0 ? (
        <Text size="sm" c="dimmed">
          No groups yet. A group is a set of tags read together at one interval{readOnly ? '.' : '; add one to start adding tags.'}
        </Text>
      ) : (
        <Accordion multiple value={open} onChange={setOpen} variant="separated" chevronPosition="left">
          {groups.map((group, g) => {
            const groupPath = [...path, g];
            const groupStr = pathString(groupPath);
            const tags = isObject(group) && Array.isArray(group.tags) ? group.tags : [];
            const problems = issues.countWithin(groupStr);
            const interval = isObject(group) && typeof group.intervalMs === 'number' ? `every ${group.intervalMs} ms` : 'no interval';
            return (
              <Accordion.Item key={g} value={String(g)}>
                <Accordion.Control data-testid={`open-${groupStr}`}>
                  <Group gap="sm">
                    <Text fw={600}>{nameOf(group, `(group ${g + 1} has no name)`)}</Text>
                    <Text size="sm" c="dimmed">
                      {interval} · {tags.length} {tags.length === 1 ? 'tag' : 'tags'}
                    </Text>
                    {problems > 0 && (
                      <Badge color="red" size="sm" variant="filled">
                        {problems} {problems === 1 ? 'problem' : 'problems'}
                      </Badge>
                    )}
                  </Group>
                </Accordion.Control>
                <Accordion.Panel>
                  {open.includes(String(g)) && (
                    <Stack gap="sm">
                      <SchemaField schema={GROUP_SCHEMA} path={groupPath} value={group} label="Group" omit={['tags']} required bare />
                      <ItemTable
                        itemSchema={TAG_SCHEMA}
                        path={[...groupPath, 'tags']}
                        items={tags}
                        noun="tag"
                        toolbar={<TagCsvControls device={device} deviceName={nameOf(device, 'device')} groupName={nameOf(group, 'group')} path={[...groupPath, 'tags']} tags={tags} />}
                      />
                      {!readOnly && (
                        <Group justify="flex-end">
                          <Button
                            variant="subtle"
                            color="red"
                            size="xs"
                            data-testid={`remove-${groupStr}`}
                            onClick={() => {
                              set(groupPath, undefined);
                              setOpen((o) => o.filter((v) => v !== String(g)).map((v) => (Number(v) > g ? String(Number(v) - 1) : v)));
                            }}
                          >
                            Remove group {nameOf(group, '')}
                          </Button>
                        </Group>
                      )}
                    </Stack>
                  )}
                </Accordion.Panel>
              </Accordion.Item>
            );
          })}
        </Accordion>
      )}
    </Stack>
  );
}
