import { z } from 'zod';
import { NameSchema } from './names.js';
import { GroupSchema } from './tag.js';
import { SimulatorSettingsSchema } from './simulator.js';
import { ModbusRtuSettingsSchema, ModbusTcpSettingsSchema } from './modbus.js';
import { OpcUaSettingsSchema } from './opcua.js';
import { unknownKindMessage } from './names.js';

/** Every southbound driver kind a config may name. An agent build may include only some of them. */
export const DRIVER_KINDS = ['simulator', 'modbus-tcp', 'modbus-rtu', 'modbus-rtu-over-tcp', 'opcua'] as const;
export const DriverKindSchema = z.enum(DRIVER_KINDS);
export type DriverKind = z.infer<typeof DriverKindSchema>;

const deviceBase = {
  name: NameSchema,
  enabled: z.boolean().default(true),
  description: z.string().max(512).optional(),
  groups: z.array(GroupSchema).max(10_000).default([]),
};

/** A southbound device: one connection to a machine, polled in groups. Settings depend on the driver. */
export const DeviceSchema = z.discriminatedUnion('driver', [
  z.object({ ...deviceBase, driver: z.literal('simulator'), settings: SimulatorSettingsSchema }).strict(),
  z.object({ ...deviceBase, driver: z.literal('modbus-tcp'), settings: ModbusTcpSettingsSchema }).strict(),
  z.object({ ...deviceBase, driver: z.literal('modbus-rtu-over-tcp'), settings: ModbusTcpSettingsSchema }).strict(),
  z.object({ ...deviceBase, driver: z.literal('modbus-rtu'), settings: ModbusRtuSettingsSchema }).strict(),
  z.object({ ...deviceBase, driver: z.literal('opcua'), settings: OpcUaSettingsSchema }).strict(),
], { error: unknownKindMessage(DRIVER_KINDS) });
export type Device = z.output<typeof DeviceSchema>;
export type DeviceInput = z.input<typeof DeviceSchema>;
