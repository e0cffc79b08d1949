import { Alert, Badge, Group, List, Loader, Text } from '@mantine/core';
import type { AgentView, ConfigRevisionView } from '@edgefleet/protocol';
import { SYNC_COLOR, syncLabel } from '../fleet/sync-status';

export interface ConfigStatusProps {
  agent: AgentView | undefined;
  agentError: string | undefined;
  /** The revision the edits started from (null: the agent has no config yet). */
  editing: ConfigRevisionView | null;
  /** The revision saved from this editor, to follow until the agent applies it. */
  saved: ConfigRevisionView | null;
  canEdit: boolean;
}

/** Which revision is desired, which one the agent runs, and what became of the last save. */
export function ConfigStatus({ agent, agentError, editing, saved, canEdit }: ConfigStatusProps) {
  const desired = agent?.desiredRevision ?? null;
  const applied = agent?.appliedRevision ?? null;
  return (
    <>
      <Group gap="md" wrap="wrap" data-testid="config-status">
        <Group gap={6}>
          <Text size="sm">Desired revision</Text>
          <Badge variant="light" data-testid="desired-revision">
            {desired ?? '—'}
          </Badge>
        </Group>
        <Group gap={6}>
          <Text size="sm">Applied revision</Text>
          <Badge variant="light" color={applied !== null && applied === desired ? 'green' : 'gray'} data-testid="applied-revision">
            {applied ?? '—'}
          </Badge>
        </Group>
        {agent ? (
          <Badge color={SYNC_COLOR[agent.syncStatus]} data-testid="sync-status">
            {syncLabel(agent.syncStatus)}
          </Badge>
        ) : agentError ? (
          <Text size="sm" c="red">
            Agent status unavailable: {agentError}
          </Text>
        ) : (
          <Loader size="xs" aria-label="Loading the agent's status" />
        )}
        <Text size="sm" c="dimmed" data-testid="editing-revision">
          {editing
            ? `Editing revision ${editing.revision}, saved by ${editing.author} on ${new Date(editing.createdAt).toLocaleString()}${editing.comment ? `: “${editing.comment}”` : ''}`
            : `This agent has no config yet${canEdit ? '; saving creates its first revision' : ''}.`}
        </Text>
      </Group>
      {saved && <SaveProgress saved={saved} agent={agent} />}
      {agent?.lastError && !(saved && agent.lastError.revision !== null && agent.lastError.revision < saved.revision) && (
        <Alert color="red" title={`The agent reported a problem${agent.lastError.revision !== null ? ` with revision ${agent.lastError.revision}` : ''}`} data-testid="agent-last-error">
          <Text size="sm">{agent.lastError.message}</Text>
          {agent.lastError.issues && agent.lastError.issues.length > 0 && (
            <List size="sm" mt={4}>
              {agent.lastError.issues.map((i, n) => (
                <List.Item key={n}>
                  <Text span ff="monospace" size="xs">
                    {i.path}
                  </Text>
                  : {i.message}
                </List.Item>
              ))}
            </List>
          )}
        </Alert>
      )}
    </>
  );
}

function SaveProgress({ saved, agent }: { saved: ConfigRevisionView; agent: AgentView | undefined }) {
  const applied = agent?.appliedRevision ?? null;
  const failed = agent?.lastError?.revision === saved.revision;
  if (applied !== null && applied >= saved.revision) {
    return (
      <Alert color="green" data-testid="save-progress" role="status">
        Saved as revision {saved.revision}; the agent has applied it.
      </Alert>
    );
  }
  if (failed) {
    return (
      <Alert color="red" data-testid="save-progress" role="status">
        Saved as revision {saved.revision}, but the agent could not apply it (see below). It keeps running revision {applied ?? '—'}.
      </Alert>
    );
  }
  return (
    <Alert color="blue" data-testid="save-progress" role="status">
      <Group gap="xs">
        <Loader size="xs" />
        <Text size="sm">
          Saved as revision {saved.revision}. Waiting for the agent to apply it{agent && !agent.online ? ' (the agent is offline; it gets the revision when it reconnects)' : ''}…
        </Text>
      </Group>
    </Alert>
  );
}
