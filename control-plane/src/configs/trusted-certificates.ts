import type { AgentConfig } from '@edgefleet/protocol';
import { AppError } from '../common/errors/app-error.js';

/** `ab12…` → `ab:12:…`: the form certificate viewers show, for revision comments. */
export function colonFingerprint(fingerprint: string): string {
  return fingerprint.replace(/(..)(?!$)/g, '$1:');
}

/**
 * The document with `fingerprint` (normalised: lower-case hex, no colons) added to or removed
 * from the trusted server certificates of the OPC UA device `deviceName`, or null when it is
 * already so. Refuses a device the config does not have (404) and one that is not OPC UA (400:
 * only an OPC UA server presents a certificate to trust).
 */
export function withTrustedCertificate(
  document: AgentConfig,
  deviceName: string,
  fingerprint: string,
  trusted: boolean,
): { document: AgentConfig; comment: string } | null {
  const device = document.devices.find((d) => d.name === deviceName);
  if (!device) throw new AppError('NOT_FOUND', `The desired config has no device named '${deviceName}'`);
  if (device.driver !== 'opcua') {
    throw new AppError('VALIDATION_FAILED', `device: '${deviceName}' is a ${device.driver} device; only OPC UA devices have trusted server certificates`, [
      { path: 'device', message: `'${deviceName}' is a ${device.driver} device; only OPC UA devices have trusted server certificates` },
    ]);
  }
  const current = device.settings.trustedServerCertificates;
  if (current.includes(fingerprint) === trusted) return null;
  const trustedServerCertificates = trusted ? [...current, fingerprint] : current.filter((f) => f !== fingerprint);
  const devices = document.devices.map((d) => (d === device ? { ...device, settings: { ...device.settings, trustedServerCertificates } } : d));
  const comment = `${trusted ? 'trust' : 'distrust'} the server certificate ${colonFingerprint(fingerprint)} of device '${deviceName}'`;
  return { document: { ...document, devices }, comment };
}
