import { ErrorCode, type Device, type GroupValues, type TestConnectionResult, type WireError } from '@edgefleet/protocol';
import type { Driver, DriverContext } from '../drivers/driver.js';
import type { DriverRegistry } from '../drivers/registry.js';
import { scaleValue } from '../drivers/scaling.js';
import { AgentError, errorMessage } from '../util/errors.js';

/**
 * Runs `work` against a driver made for a device that is not (or not yet) in the config:
 * started, connected within `connectMs`, and always stopped afterwards.
 */
export async function withTemporaryDriver<T>(device: Device, drivers: DriverRegistry, context: DriverContext, connectMs: number, work: (driver: Driver) => Promise<T>): Promise<T> {
  const driver = drivers.create(device, context);
  try {
    await driver.start();
    await driver.waitConnected(connectMs);
    return await work(driver);
  } finally {
    await driver.stop().catch((err: unknown) => context.log.debug({ device: device.name, err: errorMessage(err) }, 'temporary driver did not stop cleanly'));
  }
}

function toWire(err: unknown): WireError {
  if (err instanceof AgentError) return err.toWire();
  return { code: ErrorCode.DEVICE_ERROR, message: errorMessage(err) };
}

/**
 * Commissioning: tries a device's settings before they are saved. Connects, reads each group
 * once (scaled like a poll), disconnects, and says in words what happened. A failure is a result
 * (`ok: false`), not an error: the operator asked whether it works.
 */
export async function testConnection(device: Device, drivers: DriverRegistry, context: DriverContext, budgetMs: number): Promise<TestConnectionResult> {
  const started = performance.now();
  const elapsed = (): number => Math.round(performance.now() - started);
  const groups: GroupValues[] = [];
  try {
    await withTemporaryDriver(device, drivers, context, Math.max(100, budgetMs - 200), async (driver) => {
      for (const group of device.groups) {
        const timestamp = Date.now();
        const raw = await driver.readGroup(group);
        const values = Object.fromEntries(group.tags.filter((t) => raw.values[t.name] !== undefined).map((t) => [t.name, scaleValue(t, raw.values[t.name]!)]));
        groups.push({ device: device.name, group: group.name, timestamp, values, errors: { ...raw.errors } });
      }
    });
  } catch (err) {
    const error = toWire(err);
    const serverCertificate = error.code === ErrorCode.CERTIFICATE_UNTRUSTED ? (error.details?.serverCertificate as TestConnectionResult['serverCertificate']) : undefined;
    return { ok: false, durationMs: elapsed(), message: error.message, error, groups, ...(serverCertificate ? { serverCertificate } : {}) };
  }
  const failedTags = groups.reduce((n, g) => n + Object.keys(g.errors).length, 0);
  const tagCount = device.groups.reduce((n, g) => n + g.tags.length, 0);
  const message =
    device.groups.length === 0
      ? `connected to '${device.name}'`
      : failedTags === 0
        ? `connected to '${device.name}' and read ${tagCount} tag${tagCount === 1 ? '' : 's'}`
        : `connected to '${device.name}'; ${failedTags} of ${tagCount} tags could not be read (see errors)`;
  return { ok: failedTags === 0, durationMs: elapsed(), message, groups };
}
