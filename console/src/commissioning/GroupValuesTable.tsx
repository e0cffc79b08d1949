import { Table, Text } from '@mantine/core';
import type { GroupValues } from '@edgefleet/protocol/browser';
import { formatValue, tagErrorText } from './explain';

/**
 * One read of a group: each tag with its value, or why it could not be read (the error number
 * in words, the number itself alongside for manuals and Neuron-based tooling).
 */
export function GroupValuesTable({ values, testId }: { values: GroupValues; testId?: string }) {
  const names = [...Object.keys(values.values), ...Object.keys(values.errors).filter((n) => !Object.hasOwn(values.values, n))];
  if (names.length === 0) {
    return (
      <Text size="sm" c="dimmed" data-testid={testId}>
        Group &apos;{values.group}&apos; has no tags to read.
      </Text>
    );
  }
  return (
    <Table.ScrollContainer minWidth={360}>
      <Table data-testid={testId} striped withTableBorder>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Tag</Table.Th>
            <Table.Th>Value</Table.Th>
            <Table.Th>Status</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {names.map((name) => {
            const error = values.errors[name];
            const value = values.values[name];
            return (
              <Table.Tr key={name} data-tag={name}>
                <Table.Td>{name}</Table.Td>
                <Table.Td ff="monospace">{value !== undefined ? formatValue(value) : '—'}</Table.Td>
                <Table.Td>
                  {error !== undefined ? (
                    <Text size="sm" c="red">
                      {tagErrorText(error)} (error {error})
                    </Text>
                  ) : (
                    <Text size="sm" c="green">
                      read
                    </Text>
                  )}
                </Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
