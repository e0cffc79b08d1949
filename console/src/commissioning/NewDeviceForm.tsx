import { Alert, Badge, Group, List, NativeSelect, NumberInput, PasswordInput, SimpleGrid, Stack, Text, TextInput } from '@mantine/core';
import { DRIVER_KINDS, OPCUA_SECURITY_MODES, OPCUA_SECURITY_POLICIES, TAG_TYPES, type DriverKind, type OpcUaSecurityMode, type OpcUaSecurityPolicy, type TagType } from '@edgefleet/protocol/browser';
import { colonFingerprint } from './explain';
import { DRIVER_LABELS, TEST_ADDRESS_EXAMPLES, type NewDeviceCheck, type NewDeviceField, type NewDeviceValues } from './new-device';

/**
 * A device not in the config yet: its name, driver and the few settings needed to reach it; the
 * protocol's defaults fill in the rest. A field shows its message once it has been left, or once
 * the user tried to use the device.
 */
export function NewDeviceForm({
  values,
  onChange,
  check,
  touched,
  onTouch,
  showAll,
}: {
  values: NewDeviceValues;
  onChange: (values: NewDeviceValues) => void;
  check: NewDeviceCheck;
  touched: ReadonlySet<NewDeviceField>;
  onTouch: (field: NewDeviceField) => void;
  showAll: boolean;
}) {
  const set = <K extends keyof NewDeviceValues>(key: K, value: NewDeviceValues[K]) => onChange({ ...values, [key]: value });
  const error = (field: NewDeviceField) => (showAll || touched.has(field) ? check.fields[field] : undefined);
  const blur = (field: NewDeviceField) => () => onTouch(field);
  const numberOrBlank = (v: number | string): number | '' => (typeof v === 'number' ? v : v.trim() === '' ? '' : Number(v));
  const d = values.driver;

  return (
    <Stack gap="sm" data-testid="new-device-form">
      <SimpleGrid cols={{ base: 1, sm: 2 }}>
        <TextInput label="Device name" description="How tags and topics name it" required value={values.name} onChange={(e) => set('name', e.currentTarget.value)} onBlur={blur('name')} error={error('name')} />
        <NativeSelect
          label="Driver"
          value={d}
          onChange={(e) => set('driver', e.currentTarget.value as DriverKind)}
          data={DRIVER_KINDS.map((k) => ({ value: k, label: DRIVER_LABELS[k] }))}
          error={error('driver')}
        />
      </SimpleGrid>

      {(d === 'modbus-tcp' || d === 'modbus-rtu-over-tcp') && (
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <TextInput label="Host" description="IP address or host name" placeholder="10.0.0.5" required value={values.host} onChange={(e) => set('host', e.currentTarget.value)} onBlur={blur('host')} error={error('host')} />
          <NumberInput label="Port" placeholder="502" value={values.port} onChange={(v) => set('port', numberOrBlank(v))} onBlur={blur('port')} error={error('port')} allowDecimal={false} />
        </SimpleGrid>
      )}

      {d === 'modbus-rtu' && (
        <SimpleGrid cols={{ base: 1, sm: 3 }}>
          <TextInput label="Serial port" placeholder="/dev/ttyUSB0" required value={values.path} onChange={(e) => set('path', e.currentTarget.value)} onBlur={blur('path')} error={error('path')} />
          <NumberInput label="Baud rate" placeholder="9600" value={values.baudRate} onChange={(v) => set('baudRate', numberOrBlank(v))} onBlur={blur('baudRate')} error={error('baudRate')} allowDecimal={false} />
          <NativeSelect label="Parity" value={values.parity} onChange={(e) => set('parity', e.currentTarget.value as NewDeviceValues['parity'])} data={['none', 'even', 'odd']} error={error('parity')} />
        </SimpleGrid>
      )}

      {d === 'opcua' && (
        <>
          <TextInput
            label="Endpoint URL"
            placeholder="opc.tcp://plc1:4840"
            required
            value={values.endpointUrl}
            onChange={(e) => set('endpointUrl', e.currentTarget.value)}
            onBlur={blur('endpointUrl')}
            error={error('endpointUrl')}
          />
          <SimpleGrid cols={{ base: 1, sm: 3 }}>
            <NativeSelect label="Security mode" value={values.securityMode} onChange={(e) => set('securityMode', e.currentTarget.value as OpcUaSecurityMode)} data={[...OPCUA_SECURITY_MODES]} error={error('securityMode')} />
            <NativeSelect
              label="Security policy"
              value={values.securityPolicy}
              onChange={(e) => {
                set('securityPolicy', e.currentTarget.value as OpcUaSecurityPolicy);
                onTouch('securityPolicy');
              }}
              data={[...OPCUA_SECURITY_POLICIES]}
              error={error('securityPolicy')}
            />
            <NativeSelect
              label="Log in as"
              value={values.identity}
              onChange={(e) => set('identity', e.currentTarget.value as NewDeviceValues['identity'])}
              data={[
                { value: 'anonymous', label: 'Anonymous' },
                { value: 'username', label: 'User name and password' },
              ]}
            />
          </SimpleGrid>
          {values.identity === 'username' && (
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              <TextInput label="User name" required value={values.username} onChange={(e) => set('username', e.currentTarget.value)} onBlur={blur('username')} error={error('username')} />
              <PasswordInput label="Password" value={values.password} onChange={(e) => set('password', e.currentTarget.value)} onBlur={blur('password')} error={error('password')} />
            </SimpleGrid>
          )}
          {values.trustedServerCertificates.length > 0 && (
            <Stack gap={4}>
              <Text size="sm" fw={500}>
                Trusted server certificates
              </Text>
              {values.trustedServerCertificates.map((f) => (
                <Group key={f} gap="xs" wrap="nowrap">
                  <Badge variant="light" color="green">
                    trusted
                  </Badge>
                  <Text size="xs" ff="monospace" style={{ wordBreak: 'break-all' }}>
                    {colonFingerprint(f)}
                  </Text>
                </Group>
              ))}
            </Stack>
          )}
        </>
      )}

      {d === 'simulator' && (
        <Text size="sm" c="dimmed">
          The simulator needs no connection settings: it makes up values (sine, ramp, random, counter, memory).
        </Text>
      )}

      <SimpleGrid cols={{ base: 1, sm: 2 }}>
        <TextInput
          label="Tag to read in the test (optional)"
          description={d === 'opcua' ? 'A NodeId' : d === 'simulator' ? 'A simulator function' : 'A Modbus address: slave!area+address'}
          placeholder={TEST_ADDRESS_EXAMPLES[d]}
          value={values.testAddress}
          onChange={(e) => set('testAddress', e.currentTarget.value)}
          onBlur={blur('testAddress')}
          error={error('testAddress')}
        />
        <NativeSelect label="Its type" description="How the value is read" value={values.testType} onChange={(e) => set('testType', e.currentTarget.value as TagType)} data={[...TAG_TYPES]} error={error('testType')} />
      </SimpleGrid>

      {(showAll || touched.size > 0) && check.other.length > 0 && (
        <Alert color="red" title="The device is not valid yet" role="alert">
          <List size="sm">
            {check.other.map((i) => (
              <List.Item key={`${i.path}:${i.message}`}>
                {i.path}: {i.message}
              </List.Item>
            ))}
          </List>
        </Alert>
      )}
    </Stack>
  );
}
