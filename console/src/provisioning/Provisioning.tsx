import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  Alert,
  Badge,
  Button,
  Card,
  Checkbox,
  Code,
  CopyButton,
  Group,
  Loader,
  Modal,
  NumberInput,
  Select,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import type { EnrollmentTokenCreated, EnrollmentTokenView, FleetView } from '@edgefleet/protocol';
import { ApiError } from '../api/client';
import { useConsole } from '../app/console-context';
import { formatAgo } from '../format';
import { PendingAgents } from './PendingAgents';
import { bootstrapFile, enrollOneLiner, parseLabels, tokenState, writeBootstrapOneLiner, type TokenState } from './bootstrap';

const LIFETIMES = [
  { value: String(3600), label: '1 hour' },
  { value: String(86_400), label: '1 day' },
  { value: String(7 * 86_400), label: '7 days' },
  { value: String(30 * 86_400), label: '30 days' },
  { value: String(365 * 86_400), label: '1 year' },
];
const STATE_COLOR: Record<TokenState, string> = { active: 'green', revoked: 'red', expired: 'gray', 'used up': 'gray' };

/**
 * Enrollment tokens of a fleet: create one (shown once, with its bootstrap file and one-liners), list and revoke;
 * and the boxes that enrolled with a token requiring approval, waiting for an administrator's decision.
 */
export function Provisioning() {
  const { client, canProvision } = useConsole();
  const fleets = useQuery({ queryKey: ['fleets'], queryFn: () => client.request<FleetView[]>('GET', '/fleets') });
  const [picked, setPicked] = useState<string | null>(null);
  const fleetId = picked ?? fleets.data?.find((f) => f.name === 'default')?.id ?? fleets.data?.[0]?.id ?? null;

  if (fleets.isPending) return <Loader aria-label="Loading fleets" />;
  if (fleets.isError) {
    return (
      <Alert color="red" role="alert">
        Cannot load the fleets: {fleets.error.message}
      </Alert>
    );
  }
  return (
    <Stack>
      <Group justify="space-between" align="end">
        <Title order={2}>Provisioning</Title>
        {fleets.data.length > 1 && (
          <Select label="Fleet" data={fleets.data.map((f) => ({ value: f.id, label: f.name }))} value={fleetId} onChange={setPicked} allowDeselect={false} w={240} />
        )}
      </Group>
      <Text c="dimmed" maw={760}>
        A box enrolls itself with an enrollment token: give it the bootstrap file in its image, or run the one-liner on it. It shows up in the fleet with the token's labels
        and gets the fleet's config.
      </Text>
      {fleetId === null ? (
        <Text c="dimmed">No fleet exists yet.</Text>
      ) : (
        <>
          <PendingAgents fleets={fleets.data} canDecide={canProvision} />
          {canProvision && <CreateToken fleetId={fleetId} />}
          <TokenList fleetId={fleetId} canRevoke={canProvision} />
        </>
      )}
      {!canProvision && (
        <Text size="sm" c="dimmed">
          Creating and revoking tokens takes an administrator.
        </Text>
      )}
    </Stack>
  );
}

function CreateToken({ fleetId }: { fleetId: string }) {
  const { client } = useConsole();
  const queries = useQueryClient();
  const [description, setDescription] = useState('');
  const [lifetime, setLifetime] = useState(String(86_400));
  const [maxUses, setMaxUses] = useState<number | ''>('');
  const [labelText, setLabelText] = useState('');
  const [requiresApproval, setRequiresApproval] = useState(false);
  const [created, setCreated] = useState<EnrollmentTokenCreated | null>(null);
  const labels = parseLabels(labelText);
  const create = useMutation({
    mutationFn: () =>
      client.request<EnrollmentTokenCreated>('POST', `/fleets/${fleetId}/enrollment-tokens`, {
        ...(description.trim() ? { description: description.trim() } : {}),
        expiresInSec: Number(lifetime),
        ...(maxUses !== '' ? { maxUses } : {}),
        labels: labels.ok ? labels.labels : {},
        requiresApproval,
      }),
    onSuccess: (token) => {
      setCreated(token);
      setDescription('');
      setMaxUses('');
      setLabelText('');
      setRequiresApproval(false);
      void queries.invalidateQueries({ queryKey: ['tokens', fleetId] });
    },
  });
  const fieldError = (field: string) => (create.error instanceof ApiError ? create.error.issues.find((i) => i.path === field)?.message : undefined);

  return (
    <Card withBorder>
      <Title order={4} mb="sm">
        New enrollment token
      </Title>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (labels.ok) create.mutate();
        }}
      >
        <Group align="start" gap="sm">
          <TextInput label="Description" placeholder="Line 7 boxes" value={description} onChange={(e) => setDescription(e.currentTarget.value)} error={fieldError('description')} w={220} />
          <Select label="Valid for" data={LIFETIMES} value={lifetime} onChange={(v) => v && setLifetime(v)} allowDeselect={false} w={130} />
          <NumberInput label="Max. uses" placeholder="unlimited" min={1} value={maxUses} onChange={(v) => setMaxUses(typeof v === 'number' ? v : '')} error={fieldError('maxUses')} w={130} />
          <TextInput
            label="Labels"
            placeholder="line=7, site=berlin"
            value={labelText}
            onChange={(e) => setLabelText(e.currentTarget.value)}
            error={labels.ok ? fieldError('labels') : labels.message}
            w={240}
          />
          <Checkbox
            label="Require approval"
            description="Boxes wait until an administrator approves them"
            checked={requiresApproval}
            onChange={(e) => setRequiresApproval(e.currentTarget.checked)}
            error={fieldError('requiresApproval')}
            mt={30}
            w={200}
          />
          <Button type="submit" mt={25} loading={create.isPending} disabled={!labels.ok}>
            Create token
          </Button>
        </Group>
        {create.isError && !(create.error instanceof ApiError && create.error.issues.length > 0) && (
          <Alert color="red" mt="sm" role="alert">
            Cannot create the token: {create.error.message}
          </Alert>
        )}
      </form>
      <Modal opened={created !== null} onClose={() => setCreated(null)} title="Enrollment token created" size="xl" closeButtonProps={{ 'aria-label': 'Close' }}>
        {created && <CreatedToken created={created} onDone={() => setCreated(null)} />}
      </Modal>
    </Card>
  );
}

function CreatedToken({ created, onDone }: { created: EnrollmentTokenCreated; onDone: () => void }) {
  const file = bootstrapFile(created);
  const download = () => {
    const url = URL.createObjectURL(new Blob([file], { type: 'application/json' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = 'bootstrap.json';
    a.click();
    URL.revokeObjectURL(url);
  };
  return (
    <Stack>
      <Alert color="yellow">This is the only time the token is shown: only its hash is stored. Copy it now.</Alert>
      {created.requiresApproval && (
        <Alert color="blue" data-testid="created-requires-approval">
          Boxes enrolled with this token wait under &quot;Waiting for approval&quot; on this page until an administrator approves them; only then do they get their
          certificate, join the fleet and get its config.
        </Alert>
      )}
      <Copyable label="Token" value={created.token} testId="created-token" />
      <Copyable label="Bootstrap file (bootstrap.json)" value={file} testId="bootstrap-file" block />
      <Group>
        <Button variant="light" onClick={download}>
          Download bootstrap.json
        </Button>
      </Group>
      <Copyable label="Enroll a box now (run on the box)" value={enrollOneLiner(created)} testId="enroll-command" block />
      <Copyable label="Put the bootstrap file on a box or into an image" value={writeBootstrapOneLiner(created)} testId="bootstrap-command" block />
      <Text size="sm" c="dimmed">
        With the file in place, the agent enrolls on its first start: <Code>edgefleet-agent run --bootstrap /etc/edgefleet/bootstrap.json</Code>. Valid until{' '}
        {new Date(created.expiresAt).toLocaleString()}
        {created.maxUses !== null ? `, for ${created.maxUses} box${created.maxUses === 1 ? '' : 'es'}` : ''}.
      </Text>
      <Group justify="end">
        <Button onClick={onDone}>Done</Button>
      </Group>
    </Stack>
  );
}

function Copyable({ label, value, testId, block = false }: { label: string; value: string; testId: string; block?: boolean }) {
  return (
    <div>
      <Group justify="space-between" mb={4}>
        <Text size="sm" fw={500}>
          {label}
        </Text>
        <CopyButton value={value}>
          {({ copied, copy }) => (
            <Button size="compact-xs" variant={copied ? 'filled' : 'light'} color={copied ? 'teal' : undefined} onClick={copy}>
              {copied ? 'Copied' : 'Copy'}
            </Button>
          )}
        </CopyButton>
      </Group>
      <Code block={block} data-testid={testId} style={{ wordBreak: 'break-all', whiteSpace: block ? 'pre-wrap' : undefined }}>
        {value}
      </Code>
    </div>
  );
}

function TokenList({ fleetId, canRevoke }: { fleetId: string; canRevoke: boolean }) {
  const { client } = useConsole();
  const queries = useQueryClient();
  const tokens = useQuery({ queryKey: ['tokens', fleetId], queryFn: () => client.request<EnrollmentTokenView[]>('GET', `/fleets/${fleetId}/enrollment-tokens`), refetchInterval: 10_000 });
  const [revoking, setRevoking] = useState<EnrollmentTokenView | null>(null);
  const revoke = useMutation({
    mutationFn: (id: string) => client.request<void>('DELETE', `/fleets/${fleetId}/enrollment-tokens/${id}`),
    onSuccess: () => {
      setRevoking(null);
      void queries.invalidateQueries({ queryKey: ['tokens', fleetId] });
    },
  });

  return (
    <Card withBorder>
      <Title order={4} mb="sm">
        Enrollment tokens
      </Title>
      {tokens.isPending ? (
        <Loader aria-label="Loading tokens" />
      ) : tokens.isError ? (
        <Alert color="red" role="alert">
          Cannot load the tokens: {tokens.error.message}
        </Alert>
      ) : tokens.data.length === 0 ? (
        <Text c="dimmed">No enrollment token yet.</Text>
      ) : (
        <Table.ScrollContainer minWidth={840}>
          <Table data-testid="tokens">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Description</Table.Th>
                <Table.Th>State</Table.Th>
                <Table.Th>Approval</Table.Th>
                <Table.Th>Uses</Table.Th>
                <Table.Th>Expires</Table.Th>
                <Table.Th>Labels</Table.Th>
                <Table.Th>Created</Table.Th>
                {canRevoke && <Table.Th />}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {tokens.data.map((t) => {
                const state = tokenState(t);
                return (
                  <Table.Tr key={t.id} data-testid="token-row">
                    <Table.Td>{t.description ?? <Text c="dimmed">—</Text>}</Table.Td>
                    <Table.Td>
                      <Badge color={STATE_COLOR[state]} variant="light">
                        {state}
                      </Badge>
                    </Table.Td>
                    <Table.Td>
                      <Badge
                        color={t.requiresApproval ? 'orange' : 'gray'}
                        variant={t.requiresApproval ? 'light' : 'outline'}
                        data-testid="token-approval"
                        title={t.requiresApproval ? 'Boxes enrolled with it wait for approval' : 'Boxes enrolled with it join the fleet at once'}
                      >
                        {t.requiresApproval ? 'approval' : 'auto'}
                      </Badge>
                    </Table.Td>
                    <Table.Td>
                      {t.uses}
                      {t.maxUses !== null ? ` / ${t.maxUses}` : ''}
                    </Table.Td>
                    <Table.Td>{new Date(t.expiresAt).toLocaleString()}</Table.Td>
                    <Table.Td>
                      <Group gap={4}>
                        {Object.entries(t.labels).map(([k, v]) => (
                          <Badge key={k} variant="outline" size="sm">
                            {k}={v}
                          </Badge>
                        ))}
                      </Group>
                    </Table.Td>
                    <Table.Td>
                      {t.createdBy}, {formatAgo(t.createdAt)}
                    </Table.Td>
                    {canRevoke && (
                      <Table.Td>
                        {state === 'active' && (
                          <Button size="compact-xs" color="red" variant="light" onClick={() => setRevoking(t)}>
                            Revoke
                          </Button>
                        )}
                      </Table.Td>
                    )}
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <Modal opened={revoking !== null} onClose={() => setRevoking(null)} title="Revoke this token?">
        <Stack>
          <Text>
            Boxes that have not enrolled yet can no longer use {revoking?.description ? `"${revoking.description}"` : 'this token'}. Agents already enrolled with it keep
            running.
          </Text>
          {revoke.isError && (
            <Alert color="red" role="alert">
              Cannot revoke: {revoke.error.message}
            </Alert>
          )}
          <Group justify="end">
            <Button variant="default" onClick={() => setRevoking(null)}>
              Cancel
            </Button>
            <Button color="red" loading={revoke.isPending} onClick={() => revoking && revoke.mutate(revoking.id)}>
              Revoke
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Card>
  );
}
