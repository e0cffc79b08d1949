import { useMemo, useState } from 'react';
import { useMutation, useQuery, useQueryClient, type UseQueryResult } from '@tanstack/react-query';
import { Alert, Button, Group, Loader, NativeSelect, Paper, SegmentedControl, Stack, Text, Title } from '@mantine/core';
import type { ConfigRevisionView, Device } from '@edgefleet/protocol/browser';
import type { ApiClient } from '../api/client';
import { commissioningApi, type CommissioningApi } from './api';
import { BrowsePanel } from './BrowsePanel';
import { describePath, devicesOf, withDeviceAdded } from './config-document';
import { CommissioningFailure } from './explain';
import { FailureAlert } from './FailureAlert';
import { checkNewDevice, deviceToSave, DRIVER_LABELS, emptyNewDevice, type NewDeviceField, type NewDeviceValues } from './new-device';
import { NewDeviceForm } from './NewDeviceForm';
import { afterConfigChange, configKey, type Target } from './target';
import { TestConnectionPanel } from './TestConnectionPanel';
import { TestReadPanel } from './TestReadPanel';

type Source = 'saved' | 'new';

/**
 * Bringing a device into service on an agent: pick a saved device of its desired config or
 * describe a new one, test the connection (and trust an OPC UA server's certificate), browse an
 * OPC UA server and add variables as tags, and read a group or tag once. Without `canEdit` the
 * screen only tests, browses and reads saved devices: nothing that changes the config is shown.
 */
export function Commissioning({ client, agentId, canEdit }: { client: ApiClient; agentId: string; canEdit: boolean }) {
  const api = useMemo(() => commissioningApi(client, agentId), [client, agentId]);
  const config = useQuery({ queryKey: configKey(agentId), queryFn: () => api.desiredConfig(), retry: false });
  const [source, setSource] = useState<Source>('saved');
  const [savedName, setSavedName] = useState<string | null>(null);
  const [form, setForm] = useState<NewDeviceValues>(emptyNewDevice);
  const [touched, setTouched] = useState<ReadonlySet<NewDeviceField>>(new Set());
  const [showAllErrors, setShowAllErrors] = useState(false);
  const [justSaved, setJustSaved] = useState<{ name: string; revision: number } | null>(null);

  const devices = useMemo(() => devicesOf(config.data?.document), [config.data]);
  const saved = devices.find((d) => d.name === savedName) ?? devices[0];
  const check = useMemo(() => checkNewDevice(form), [form]);
  const describingNew = canEdit && source === 'new';
  const target: Target | null = describingNew ? (check.device ? { kind: 'new', device: check.device } : null) : saved ? { kind: 'saved', device: saved } : null;
  const driver = describingNew ? form.driver : saved?.driver;
  const targetKey = target ? (target.kind === 'saved' ? `saved:${target.device.name}` : `new:${JSON.stringify(target.device)}`) : 'none';
  const onInvalid = () => setShowAllErrors(true);

  return (
    <Stack data-testid="commissioning">
      <Stack gap={0}>
        <Title order={3}>Commissioning</Title>
        <Text c="dimmed" size="sm">
          Bring a device into service: test the connection, browse an OPC UA server for tags, and read values once.
        </Text>
      </Stack>

      <Paper withBorder p="md">
        <Stack gap="sm">
          <Group justify="space-between" wrap="wrap">
            <Title order={4}>Device</Title>
            {canEdit && (
              <SegmentedControl
                data-testid="device-source"
                value={source}
                onChange={(v) => setSource(v === 'new' ? 'new' : 'saved')}
                data={[
                  { value: 'saved', label: 'Saved device' },
                  { value: 'new', label: 'New device' },
                ]}
              />
            )}
          </Group>
          {describingNew ? (
            <>
              <NewDeviceForm
                values={form}
                onChange={setForm}
                check={check}
                touched={touched}
                onTouch={(f) => setTouched((prev) => (prev.has(f) ? prev : new Set([...prev, f])))}
                showAll={showAllErrors}
              />
              <SaveNewDevice
                api={api}
                agentId={agentId}
                device={check.device}
                onInvalid={onInvalid}
                onSaved={(name, revision) => {
                  setJustSaved({ name, revision });
                  setSavedName(name);
                  setSource('saved');
                  setForm(emptyNewDevice());
                  setTouched(new Set());
                  setShowAllErrors(false);
                }}
              />
            </>
          ) : (
            <>
              {justSaved && (
                <Alert color="green" data-testid="save-device-result" withCloseButton closeButtonLabel="Dismiss" onClose={() => setJustSaved(null)}>
                  Device &apos;{justSaved.name}&apos; is saved in revision {justSaved.revision} of the agent&apos;s config.
                  {driver === 'opcua' ? ' Browse it below to add tags.' : ' Add its tags in the config editor.'}
                </Alert>
              )}
              <SavedDevicePicker config={config} devices={devices} selected={saved} onSelect={setSavedName} canEdit={canEdit} onDescribeNew={() => setSource('new')} />
            </>
          )}
        </Stack>
      </Paper>

      <TestConnectionPanel
        api={api}
        agentId={agentId}
        target={target}
        canEdit={canEdit}
        onInvalid={onInvalid}
        newDeviceTrusts={form.trustedServerCertificates}
        onTrustNew={(fingerprint) => {
          const normalised = fingerprint.replace(/:/g, '').toLowerCase();
          setForm((f) => (f.trustedServerCertificates.includes(normalised) ? f : { ...f, trustedServerCertificates: [...f.trustedServerCertificates, normalised] }));
        }}
      />

      {driver === 'opcua' && <BrowsePanel key={targetKey} api={api} agentId={agentId} target={target} canEdit={canEdit} onInvalid={onInvalid} />}

      <TestReadPanel api={api} device={target?.kind === 'saved' ? target.device : null} />
    </Stack>
  );
}

function SavedDevicePicker({
  config,
  devices,
  selected,
  onSelect,
  canEdit,
  onDescribeNew,
}: {
  config: UseQueryResult<ConfigRevisionView | null>;
  devices: Device[];
  selected: Device | undefined;
  onSelect: (name: string) => void;
  canEdit: boolean;
  onDescribeNew: () => void;
}) {
  if (config.isPending) return <Loader size="sm" aria-label="Loading the agent's config" />;
  if (config.isError) return <FailureAlert error={config.error} doing="Loading the agent's config" onRetry={() => void config.refetch()} testId="config-error" />;
  if (devices.length === 0) {
    return (
      <Stack gap="xs" data-testid="no-devices">
        <Text size="sm" c="dimmed">
          {config.data ? 'This agent has no devices in its config yet.' : 'This agent has no config yet.'}
          {canEdit ? ' Describe a new device to test it and add it.' : ''}
        </Text>
        {canEdit && (
          <div>
            <Button variant="light" onClick={onDescribeNew}>
              Describe a new device
            </Button>
          </div>
        )}
      </Stack>
    );
  }
  return (
    <NativeSelect
      label="Saved device"
      description={config.data ? `From revision ${config.data.revision} of the agent's desired config` : undefined}
      data-testid="saved-device"
      value={selected?.name ?? ''}
      onChange={(e) => onSelect(e.currentTarget.value)}
      data={devices.map((d) => ({ value: d.name, label: `${d.name} — ${DRIVER_LABELS[d.driver] ?? d.driver}${d.enabled === false ? ' (disabled)' : ''}` }))}
    />
  );
}

/** Adds the new device (without its test tag) to the desired config, so its tags can be added and its certificate trusted. */
function SaveNewDevice({ api, agentId, device, onInvalid, onSaved }: { api: CommissioningApi; agentId: string; device: Device | null; onInvalid: () => void; onSaved: (name: string, revision: number) => void }) {
  const queries = useQueryClient();
  const [sent, setSent] = useState<unknown>(null);
  const save = useMutation({
    mutationFn: async (d: Device) => {
      const fresh = await api.desiredConfig();
      const change = withDeviceAdded(fresh?.document ?? null, deviceToSave(d));
      if (!change.ok) throw new CommissioningFailure('The device was not saved', change.message);
      setSent(change.document);
      return api.putConfig(change.document, `Added device '${d.name}' from commissioning`);
    },
    onSuccess: async (revision, d) => {
      await afterConfigChange(queries, agentId);
      onSaved(d.name, revision.revision);
    },
  });
  return (
    <Stack gap="xs">
      <Group gap="sm" wrap="wrap">
        <Button
          variant="default"
          data-testid="save-device"
          loading={save.isPending}
          onClick={() => {
            if (!device) onInvalid();
            else save.mutate(device);
          }}
        >
          Save device to the config
        </Button>
        <Text size="xs" c="dimmed">
          Saves it without groups (the test tag is not kept); then browse it and add tags.
        </Text>
      </Group>
      {save.isError && <FailureAlert error={save.error} doing="Saving the device" describePath={(p) => describePath(sent, p)} testId="save-device-error" />}
    </Stack>
  );
}
