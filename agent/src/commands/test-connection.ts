import { ErrorCode, ServerCertificateInfoSchema, type Device, type GroupValues, type TestConnectionResult, type WireError } from '@edgefleet/protocol';
import type { Driver, DriverContext } from '../drivers/driver.js';
import type { DriverRegistry } from '../drivers/registry.js';
import { scaledRecords } from '../runtime/group-sample.js';
import { errorMessage } from '../util/errors.js';
import { wireErrorOf } from './command-error.js';
import { askDevice, connection, type Deadline } from './deadline.js';

/** How long the reply waits for a temporary driver to stop; it goes on stopping in the background. */
const STOP_WAIT_MS = 2000;

/**
 * Runs `work` against a driver made for a device that is not (or not yet) in the config:
 * started, connected (see `connection`), given the time left to work, and always stopped
 * afterwards. Every step is bounded by the command's deadline, so the reply reaches the plane
 * before it gives up, whatever the machine does.
 */
export async function withTemporaryDriver<T>(device: Device, driver: Driver, context: DriverContext, deadline: Deadline, work: (driver: Driver) => Promise<T>): Promise<T> {
  try {
    await askDevice(deadline, device.name, driver.start(), 'did not start in time');
    await connection(device.name, driver, deadline, 'could not be connected');
    return await work(driver);
  } finally {
    const stopping = driver.stop().catch((err: unknown) => context.log.debug({ device: device.name, err: errorMessage(err) }, 'temporary driver did not stop cleanly'));
    await Promise.race([stopping, new Promise((r) => setTimeout(r, Math.min(STOP_WAIT_MS, deadline.left())))]);
  }
}

/** The certificate an OPC UA server presented, when the error is that it is not trusted. */
function untrustedCertificate(error: WireError): TestConnectionResult['serverCertificate'] {
  if (error.code !== ErrorCode.CERTIFICATE_UNTRUSTED) return undefined;
  const parsed = ServerCertificateInfoSchema.safeParse(error.details?.serverCertificate);
  return parsed.success ? parsed.data : undefined;
}

/**
 * Commissioning: tries a device's settings before they are saved. Connects, reads each group
 * once (scaled like a poll), disconnects, and says in words what happened. A failure is a result
 * (`ok: false`), not an error: the operator asked whether it works. The device has been
 * validated like a config's (`FullDeviceSchema`) before this is called.
 */
export async function testConnection(device: Device, drivers: DriverRegistry, context: DriverContext, deadline: Deadline): Promise<TestConnectionResult> {
  const started = performance.now();
  const elapsed = (): number => Math.round(performance.now() - started);
  const groups: GroupValues[] = [];
  try {
    const driver = drivers.create(device, context);
    await withTemporaryDriver(device, driver, context, deadline, async () => {
      for (const group of device.groups) {
        const timestamp = Date.now();
        const raw = await askDevice(deadline, device.name, driver.readGroup(group), `was connected, but reading group '${group.name}' did not finish in the time left`);
        groups.push({ device: device.name, group: group.name, timestamp, ...scaledRecords(group.tags, raw) });
      }
    });
  } catch (err) {
    const error = wireErrorOf(err);
    const serverCertificate = untrustedCertificate(error);
    return { ok: false, durationMs: elapsed(), message: error.message, error, groups, ...(serverCertificate ? { serverCertificate } : {}) };
  }
  const failedTags = groups.reduce((n, g) => n + Object.keys(g.errors).length, 0);
  const tagCount = device.groups.reduce((n, g) => n + g.tags.length, 0);
  const message =
    tagCount === 0
      ? `connected to '${device.name}'`
      : failedTags === 0
        ? `connected to '${device.name}' and read ${tagCount} tag${tagCount === 1 ? '' : 's'}`
        : `connected to '${device.name}'; ${failedTags} of ${tagCount} tags could not be read (see errors)`;
  return { ok: failedTags === 0, durationMs: elapsed(), message, groups };
}
