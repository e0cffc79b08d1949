import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { hostname, networkInterfaces } from 'node:os';

/**
 * A stable id for this box: /etc/machine-id when present (systemd keeps it across reboots),
 * otherwise a hash of the hostname and the MAC addresses, which re-enrolling the same box
 * reproduces so the control plane re-finds the same agent.
 */
export async function detectHardwareId(): Promise<string> {
  for (const path of ['/etc/machine-id', '/var/lib/dbus/machine-id']) {
    try {
      const id = (await readFile(path, 'utf8')).trim();
      if (id) return id;
    } catch {
      /* try the next source */
    }
  }
  const macs = Object.values(networkInterfaces())
    .flatMap((list) => list ?? [])
    .filter((i) => !i.internal && i.mac && i.mac !== '00:00:00:00:00:00')
    .map((i) => i.mac)
    .sort();
  return createHash('sha256').update([hostname(), ...new Set(macs)].join('|')).digest('hex').slice(0, 32);
}
