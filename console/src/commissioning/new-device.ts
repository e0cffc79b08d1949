import {
  FullDeviceSchema,
  parseWith,
  type Device,
  type DriverKind,
  type OpcUaSecurityMode,
  type OpcUaSecurityPolicy,
  type TagType,
  type ValidationIssue,
} from '@edgefleet/protocol/browser';

/**
 * The small "new device" form: the fields needed to reach a machine per driver, everything else
 * left to the protocol's defaults. Validated with the schema the API validates test-connection
 * and browse bodies with (`FullDeviceSchema`: `DeviceSchema` plus the per-driver tag checks), so
 * the form shows the very messages the API would answer with.
 */

export const DRIVER_LABELS: Record<DriverKind, string> = {
  'modbus-tcp': 'Modbus TCP',
  'modbus-rtu': 'Modbus RTU (serial line)',
  'modbus-rtu-over-tcp': 'Modbus RTU over TCP (serial server)',
  opcua: 'OPC UA',
  simulator: 'Simulator',
};

export type NewDeviceField =
  | 'name'
  | 'driver'
  | 'host'
  | 'port'
  | 'path'
  | 'baudRate'
  | 'parity'
  | 'endpointUrl'
  | 'securityMode'
  | 'securityPolicy'
  | 'username'
  | 'password'
  | 'testAddress'
  | 'testType';

export interface NewDeviceValues {
  name: string;
  driver: DriverKind;
  host: string;
  port: number | '';
  path: string;
  baudRate: number | '';
  parity: 'none' | 'even' | 'odd';
  endpointUrl: string;
  securityMode: OpcUaSecurityMode;
  securityPolicy: OpcUaSecurityPolicy;
  identity: 'anonymous' | 'username';
  username: string;
  password: string;
  /** Fingerprints trusted for this device before it is saved (from a test's "Trust"). */
  trustedServerCertificates: string[];
  /** One optional tag read by "Test connection", to prove the device answers, not only that it accepts a connection. */
  testAddress: string;
  testType: TagType;
}

export function emptyNewDevice(): NewDeviceValues {
  return {
    name: '',
    driver: 'modbus-tcp',
    host: '',
    port: '',
    path: '',
    baudRate: '',
    parity: 'none',
    endpointUrl: '',
    securityMode: 'None',
    securityPolicy: 'None',
    identity: 'anonymous',
    username: '',
    password: '',
    trustedServerCertificates: [],
    testAddress: '',
    testType: 'uint16',
  };
}

/** Where a test tag's address goes, per driver. */
export const TEST_ADDRESS_EXAMPLES: Record<DriverKind, string> = {
  'modbus-tcp': '1!400001',
  'modbus-rtu': '1!400001',
  'modbus-rtu-over-tcp': '1!400001',
  opcua: 'ns=2;s=Line1.Speed',
  simulator: 'sine(period=5000)',
};

/** The group and tag names "Test connection" reads the test address with. */
export const TEST_GROUP = 'test';
export const TEST_TAG = 'test';

function withNumber<K extends string>(key: K, value: number | ''): Partial<Record<K, number>> {
  return value === '' ? {} : ({ [key]: value } as Record<K, number>);
}

function settingsOf(v: NewDeviceValues): Record<string, unknown> {
  switch (v.driver) {
    case 'modbus-tcp':
    case 'modbus-rtu-over-tcp':
      return { host: v.host.trim(), ...withNumber('port', v.port) };
    case 'modbus-rtu':
      return { path: v.path.trim(), ...withNumber('baudRate', v.baudRate), parity: v.parity };
    case 'opcua':
      return {
        endpointUrl: v.endpointUrl.trim(),
        securityMode: v.securityMode,
        securityPolicy: v.securityPolicy,
        userIdentity: v.identity === 'username' ? { type: 'username', username: v.username, password: v.password } : { type: 'anonymous' },
        trustedServerCertificates: v.trustedServerCertificates,
      };
    case 'simulator':
      return {};
  }
}

/** The device as the API takes it (before defaults), with the test tag when one is given. */
export function newDeviceInput(v: NewDeviceValues): Record<string, unknown> {
  const address = v.testAddress.trim();
  return {
    name: v.name.trim(),
    driver: v.driver,
    settings: settingsOf(v),
    groups: address === '' ? [] : [{ name: TEST_GROUP, intervalMs: 1000, tags: [{ name: TEST_TAG, address, type: v.testType }] }],
  };
}

/** The issue paths of `newDeviceInput` → the form field showing them. */
const FIELD_OF_PATH: Record<string, NewDeviceField> = {
  name: 'name',
  driver: 'driver',
  'settings.host': 'host',
  'settings.port': 'port',
  'settings.path': 'path',
  'settings.baudRate': 'baudRate',
  'settings.parity': 'parity',
  'settings.endpointUrl': 'endpointUrl',
  'settings.securityMode': 'securityMode',
  'settings.securityPolicy': 'securityPolicy',
  'settings.userIdentity.username': 'username',
  'settings.userIdentity.password': 'password',
  'groups[0].tags[0].address': 'testAddress',
  'groups[0].tags[0].type': 'testType',
  'groups[0].tags[0].access': 'testType',
};

export interface NewDeviceCheck {
  /** The device with defaults applied, when valid. */
  device: Device | null;
  /** Each field's first message. */
  fields: Partial<Record<NewDeviceField, string>>;
  /** Messages no field shows. */
  other: ValidationIssue[];
}

export function checkNewDevice(v: NewDeviceValues): NewDeviceCheck {
  const parsed = parseWith(FullDeviceSchema, newDeviceInput(v));
  if (parsed.ok) return { device: parsed.value, fields: {}, other: [] };
  const fields: Partial<Record<NewDeviceField, string>> = {};
  const other: ValidationIssue[] = [];
  for (const issue of parsed.issues) {
    const field = FIELD_OF_PATH[issue.path];
    if (field === undefined) other.push(issue);
    else fields[field] ??= issue.message;
  }
  return { device: null, fields, other };
}

/** The device to save: without the test group, which exists only to prove that a read works. */
export function deviceToSave(device: Device): Device {
  return { ...device, groups: [] };
}
