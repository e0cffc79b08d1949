import {
  checkModbusTag,
  modbusOffset,
  modbusStringLength,
  modbusTagSpan,
  parseModbusAddress,
  resolveModbusOrder,
  type ModbusArea,
  type ModbusOrder,
  type ModbusSettings,
  type ModbusStringMode,
  type Tag,
  type TagType,
} from '@edgefleet/protocol';

/** What the planner, codec and driver need of a tag: where it lives on the wire and how to read it. */
export interface ModbusPoint {
  name: string;
  type: TagType;
  writable: boolean;
  slave: number;
  area: ModbusArea;
  /** Zero-based address on the wire. */
  offset: number;
  /** Registers (areas 3/4) or bits (areas 0/1) the tag occupies. */
  span: number;
  /** `.bit` of a register. */
  bit?: number;
  /** Byte/word order, for numbers in registers. */
  order?: ModbusOrder;
  /** Bytes, for string/bytes tags. */
  length?: number;
  stringMode: ModbusStringMode;
}

export type PointResult = { ok: true; point: ModbusPoint } | { ok: false; message: string };

/** Resolves a tag against the device's settings (address base, default orders). */
export function resolvePoint(tag: Tag, settings: Pick<ModbusSettings, 'addressBase' | 'order16' | 'order32' | 'order64'>): PointResult {
  const parsed = parseModbusAddress(tag.address);
  if (!parsed.ok) return { ok: false, message: `tag '${tag.name}': ${parsed.message}` };
  const addr = parsed.value;
  const problem = checkModbusTag(addr, tag.type, tag.access, settings.addressBase);
  if (problem) return { ok: false, message: `tag '${tag.name}' (${tag.address}): ${problem}` };
  const registers = addr.area === 3 || addr.area === 4;
  const isBitType = tag.type === 'bit' || tag.type === 'bool';
  const isText = tag.type === 'string' || tag.type === 'bytes';
  const point: ModbusPoint = {
    name: tag.name,
    type: tag.type,
    writable: tag.access === 'rw',
    slave: addr.slave,
    area: addr.area,
    offset: modbusOffset(addr, settings.addressBase),
    span: modbusTagSpan(addr, tag.type),
    stringMode: addr.stringMode ?? 'H',
  };
  if (registers && isBitType && addr.bit !== undefined) point.bit = addr.bit;
  if (isText) point.length = modbusStringLength(addr);
  const order = resolveModbusOrder(addr, tag.type, settings);
  if (registers && order !== undefined) point.order = order;
  return { ok: true, point };
}

export const AREA_NAMES: Readonly<Record<ModbusArea, string>> = {
  0: 'coils',
  1: 'discrete inputs',
  3: 'input registers',
  4: 'holding registers',
};

/** Areas 0/1 hold bits; 3/4 hold 16-bit registers. */
export function isBitArea(area: ModbusArea): boolean {
  return area === 0 || area === 1;
}
