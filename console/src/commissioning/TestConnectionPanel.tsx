import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Alert, Badge, Button, Group, List, Paper, Stack, Text, Title } from '@mantine/core';
import type { ServerCertificateInfo, TestConnectionResult } from '@edgefleet/protocol/browser';
import type { CommissioningApi } from './api';
import { formatDuration } from '../format';
import { colonFingerprint, errorCodeText } from './explain';
import { FailureAlert } from './FailureAlert';
import { GroupValuesTable } from './GroupValuesTable';
import { afterConfigChange, type Target } from './target';

interface Tested {
  target: Target;
  result: TestConnectionResult;
  at: Date;
}

/**
 * "Test connection": the agent connects to the device, reads each of its groups once and
 * disconnects. Shows everything the answer holds: whether it worked and why not, per-group
 * values and errors, and an OPC UA server's certificate, which an editor can trust.
 */
export function TestConnectionPanel({
  api,
  agentId,
  target,
  canEdit,
  onInvalid,
  onTrustNew,
  newDeviceTrusts,
}: {
  api: CommissioningApi;
  agentId: string;
  target: Target | null;
  canEdit: boolean;
  /** The fingerprints the new device's form trusts now. */
  newDeviceTrusts: readonly string[];
  /** Called when the user tries to test a new device whose fields are not valid yet. */
  onInvalid: () => void;
  /** Trusts a fingerprint for the new (unsaved) device: it is tested and saved with it. */
  onTrustNew: (fingerprint: string) => void;
}) {
  const test = useMutation({
    mutationFn: async (t: Target): Promise<Tested> => ({ target: t, result: await api.testConnection(t.device), at: new Date() }),
  });

  return (
    <Paper withBorder p="md">
      <Stack gap="sm">
        <Group justify="space-between" wrap="wrap">
          <Stack gap={0}>
            <Title order={4}>Test connection</Title>
            <Text size="sm" c="dimmed">
              The agent connects to the device, reads each group once, and disconnects. Nothing is saved.
            </Text>
          </Stack>
          <Button
            data-testid="test-connection"
            loading={test.isPending}
            onClick={() => {
              if (!target) onInvalid();
              else test.mutate(target);
            }}
          >
            Test connection
          </Button>
        </Group>
        {!target && (
          <Text size="sm" c="dimmed">
            Choose a saved device or complete the new device&apos;s fields first.
          </Text>
        )}
        {test.isPending && (
          <Text size="sm" c="dimmed">
            Connecting… this can take up to 30 seconds for a device that does not answer.
          </Text>
        )}
        {test.isError && <FailureAlert error={test.error} doing="Testing the connection" testId="test-connection-error" />}
        {test.data && <TestResult tested={test.data} api={api} agentId={agentId} canEdit={canEdit} onTrustNew={onTrustNew} newDeviceTrusts={newDeviceTrusts} />}
      </Stack>
    </Paper>
  );
}

function TestResult({
  tested,
  api,
  agentId,
  canEdit,
  onTrustNew,
  newDeviceTrusts,
}: {
  tested: Tested;
  api: CommissioningApi;
  agentId: string;
  canEdit: boolean;
  onTrustNew: (fingerprint: string) => void;
  newDeviceTrusts: readonly string[];
}) {
  const { result, target } = tested;
  const readFailures = result.groups.reduce((n, g) => n + Object.keys(g.errors).length, 0);
  const color = result.ok ? 'green' : result.error ? 'red' : 'yellow';
  const title = result.ok ? 'The connection works' : result.error ? 'The connection failed' : 'Connected, but some tags could not be read';
  return (
    <Stack gap="sm" data-testid="test-connection-result">
      <Alert color={color} title={title} role={result.ok ? 'status' : 'alert'}>
        <Stack gap={4}>
          <Text size="sm">{result.message}</Text>
          <Text size="xs" c="dimmed">
            Device &apos;{target.device.name}&apos;{target.kind === 'new' ? ' (not saved)' : ''}, tested at {tested.at.toLocaleTimeString()}, took {formatDuration(result.durationMs)}
            {readFailures > 0 ? `; ${readFailures} tag${readFailures === 1 ? '' : 's'} failed` : ''}.
          </Text>
          {result.error && (
            <Group gap="xs">
              <Badge color="red" variant="light">
                {result.error.code}
              </Badge>
              <Text size="sm">{errorCodeText(result.error.code)}</Text>
            </Group>
          )}
          {result.error?.issues && result.error.issues.length > 0 && (
            <List size="sm">
              {result.error.issues.map((i) => (
                <List.Item key={`${i.path}:${i.message}`}>
                  {i.path}: {i.message}
                </List.Item>
              ))}
            </List>
          )}
        </Stack>
      </Alert>
      {result.serverCertificate && (
        <CertificateCard
          certificate={result.serverCertificate}
          untrusted={result.error?.code === 'CERTIFICATE_UNTRUSTED'}
          target={target}
          api={api}
          agentId={agentId}
          canEdit={canEdit}
          onTrustNew={onTrustNew}
          newDeviceTrusts={newDeviceTrusts}
        />
      )}
      {result.groups.map((g) => (
        <Stack key={g.group} gap={4}>
          <Text size="sm" fw={500}>
            Group &apos;{g.group}&apos;
          </Text>
          <GroupValuesTable values={g} testId={`test-connection-group-${g.group}`} />
        </Stack>
      ))}
      {result.groups.length === 0 && !result.error && (
        <Text size="sm" c="dimmed">
          The device has no groups, so nothing was read: only the connection was tried.
        </Text>
      )}
    </Stack>
  );
}

function CertificateCard({
  certificate,
  untrusted,
  target,
  api,
  agentId,
  canEdit,
  onTrustNew,
  newDeviceTrusts,
}: {
  certificate: ServerCertificateInfo;
  untrusted: boolean;
  target: Target;
  api: CommissioningApi;
  agentId: string;
  canEdit: boolean;
  onTrustNew: (fingerprint: string) => void;
  newDeviceTrusts: readonly string[];
}) {
  const queries = useQueryClient();
  const trust = useMutation({
    mutationFn: () => api.trustCertificate(target.device.name, certificate.fingerprint),
    onSuccess: () => afterConfigChange(queries, agentId),
  });
  const expired = new Date(certificate.validTo).getTime() < Date.now();
  const trustedNew = target.kind === 'new' && newDeviceTrusts.includes(certificate.fingerprint.replace(/:/g, '').toLowerCase());
  return (
    <Paper withBorder p="sm" data-testid="server-certificate">
      <Stack gap={6}>
        <Group gap="xs">
          <Text fw={500}>Server certificate</Text>
          {untrusted && <Badge color="orange">not trusted</Badge>}
          {expired && <Badge color="red">expired</Badge>}
        </Group>
        <Text size="sm">Subject: {certificate.subject}</Text>
        <Text size="sm">Issuer: {certificate.issuer}</Text>
        <Text size="sm">
          Valid from {new Date(certificate.validFrom).toLocaleString()} to {new Date(certificate.validTo).toLocaleString()}
        </Text>
        <Text size="sm">SHA-256 fingerprint:</Text>
        <Text size="sm" ff="monospace" data-testid="certificate-fingerprint" style={{ wordBreak: 'break-all' }}>
          {colonFingerprint(certificate.fingerprint)}
        </Text>
        {untrusted && (
          <Text size="sm" c="dimmed">
            Compare this fingerprint with the one the server shows (in its configuration or on its display) before trusting it: trusting a certificate you have not checked lets anyone
            impersonate the server.
          </Text>
        )}
        {untrusted && !canEdit && (
          <Text size="sm" c="dimmed">
            An operator or an administrator can trust it.
          </Text>
        )}
        {untrusted && canEdit && target.kind === 'saved' && !trust.data && (
          <div>
            <Button data-testid="trust-certificate" color="orange" loading={trust.isPending} onClick={() => trust.mutate()}>
              Trust this certificate
            </Button>
          </div>
        )}
        {untrusted && canEdit && target.kind === 'new' && !trustedNew && (
          <div>
            <Button data-testid="trust-certificate" color="orange" onClick={() => onTrustNew(certificate.fingerprint)}>
              Trust this certificate
            </Button>
          </div>
        )}
        {trustedNew && (
          <Alert color="green" data-testid="trust-result">
            Trusted for this new device: test the connection again. It is saved with the device.
          </Alert>
        )}
        {trust.data && (
          <Alert color="green" data-testid="trust-result">
            The certificate is trusted in revision {trust.data.revision} of the agent&apos;s config. Test the connection again; the agent uses it once it has applied that revision.
          </Alert>
        )}
        {trust.isError && <FailureAlert error={trust.error} doing="Trusting the certificate" testId="trust-error" />}
      </Stack>
    </Paper>
  );
}
