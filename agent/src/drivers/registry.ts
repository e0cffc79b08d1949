import { ErrorCode, type Device } from '@edgefleet/protocol';
import { AgentError } from '../util/errors.js';
import type { Driver, DriverContext, DriverFactory } from './driver.js';
import { SimulatorDriver } from './simulator/simulator-driver.js';
import { ModbusDriver } from './modbus/modbus-driver.js';
import { OpcUaDriver } from './opcua/opcua-driver.js';

/**
 * Maps a driver kind to its factory. Kinds the config schema knows but this build does not
 * include yet answer DRIVER_UNAVAILABLE, so the apply engine can fail cleanly and keep the old set.
 */
export class DriverRegistry {
  private readonly factories = new Map<string, DriverFactory>();

  register(kind: Device['driver'], factory: DriverFactory): this {
    this.factories.set(kind, factory);
    return this;
  }

  create(device: Device, context: DriverContext): Driver {
    const factory = this.factories.get(device.driver);
    if (!factory) {
      throw new AgentError(ErrorCode.DRIVER_UNAVAILABLE, `device '${device.name}': driver '${device.driver}' is not available in this agent build`);
    }
    return factory(device, context);
  }
}

export function defaultDriverRegistry(): DriverRegistry {
  const modbus: DriverFactory = (device, context) => {
    if (device.driver !== 'modbus-tcp' && device.driver !== 'modbus-rtu' && device.driver !== 'modbus-rtu-over-tcp') throw new Error('Modbus factory called for another driver');
    // The driver loads modbus-serial in start(), so agents without Modbus devices never load it.
    return new ModbusDriver(device, context);
  };
  return new DriverRegistry()
    .register('simulator', (device) => {
      if (device.driver !== 'simulator') throw new Error('simulator factory called for another driver');
      return new SimulatorDriver(device);
    })
    .register('modbus-tcp', modbus)
    .register('modbus-rtu', modbus)
    .register('modbus-rtu-over-tcp', modbus)
    .register('opcua', (device, context) => {
      if (device.driver !== 'opcua') throw new Error('opcua factory called for another driver');
      // The driver loads node-opcua in start(), so agents without OPC UA devices never load it.
      return new OpcUaDriver(device, context);
    });
}
