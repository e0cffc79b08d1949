import { randomBytes } from 'node:crypto';

export const TEST_CERT_PEM = '-----BEGIN CERTIFICATE-----\nMIIBtestcertificate\n-----END CERTIFICATE-----';

const unique = (what: string) => `${what}-${randomBytes(9).toString('base64url')}`;
const pemKey = (body: string) => `-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----`;

/** One fresh value per kind of secret a config can hold, each unique so a test can look for it anywhere. */
export function newSecrets() {
  return {
    opcuaPassword: unique('opcua-password'),
    opcuaUserKey: unique('opcua-user-key'),
    mqttPassword: unique('mqtt-password'),
    mqttTlsKey: unique('mqtt-tls-key'),
    awsKey: unique('aws-key'),
    azureSasKey: unique('azure-sas-key'),
    azureConnectionKey: unique('azure-cs-key'),
    azureX509Key: unique('azure-x509-key'),
  };
}
export type TestSecrets = ReturnType<typeof newSecrets>;

/** The distinctive part of each secret: what must never show up in a row, an answer or a log line. */
export const secretNeedles = (s: TestSecrets): string[] => Object.values(s);

/**
 * A valid config (as written: defaults left out) holding one of every kind of secret: OPC UA
 * password and user key, MQTT broker password and TLS key, the AWS key, and Azure's SAS key,
 * connection string and X.509 key.
 */
export function configWithSecrets(s: TestSecrets) {
  return {
    devices: [
      {
        name: 'press',
        driver: 'opcua',
        settings: { endpointUrl: 'opc.tcp://plc1:4840', userIdentity: { type: 'username', username: 'operator', password: s.opcuaPassword } },
        groups: [{ name: 'g', intervalMs: 1000, tags: [{ name: 'speed', address: 'ns=2;s=Speed', type: 'float64' }] }],
      },
      {
        name: 'oven',
        driver: 'opcua',
        settings: { endpointUrl: 'opc.tcp://plc2:4840', userIdentity: { type: 'certificate', certificatePem: TEST_CERT_PEM, privateKeyPem: pemKey(s.opcuaUserKey) } },
        groups: [],
      },
    ],
    northbound: [
      {
        name: 'plant',
        kind: 'mqtt',
        settings: { broker: { url: 'mqtts://broker.plant:8883', username: 'edge', password: s.mqttPassword, keepaliveSec: 30, tls: { cert: TEST_CERT_PEM, key: pemKey(s.mqttTlsKey) } }, topic: 'plant/{device}/{group}' },
      },
      { name: 'aws', kind: 'aws-iot', settings: { endpoint: 'abc123-ats.iot.eu-west-1.amazonaws.com', thingName: 'edge-1', certificate: TEST_CERT_PEM, privateKey: pemKey(s.awsKey) } },
      { name: 'hub-sas', kind: 'azure-iot', settings: { auth: { type: 'sas', hostName: 'hub.azure-devices.net', deviceId: 'edge-1', sharedAccessKey: s.azureSasKey } } },
      { name: 'hub-cs', kind: 'azure-iot', settings: { auth: { type: 'connection-string', connectionString: `HostName=hub.azure-devices.net;DeviceId=edge-2;SharedAccessKey=${s.azureConnectionKey}` } } },
      { name: 'hub-x509', kind: 'azure-iot', settings: { auth: { type: 'x509', hostName: 'hub.azure-devices.net', deviceId: 'edge-3', certificate: TEST_CERT_PEM, privateKey: pemKey(s.azureX509Key) } } },
    ],
  };
}
export type ConfigWithSecrets = ReturnType<typeof configWithSecrets>;
