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
  const order = registers ? resolveModbusOrder(addr, tag.type, settings) : undefined;
  // Every field set in one literal, optional ones as undefined: all points share one compact
  // shape (no out-of-object property store), and a group of thousands of tags keeps thousands.
  const point: ModbusPoint = {
    name: tag.name,
    type: tag.type,
    writable: tag.access === 'rw',
    slave: addr.slave,
    area: addr.area,
    offset: modbusOffset(addr, settings.addressBase),
    span: modbusTagSpan(addr, tag.type),
    bit: registers && isBitType ? addr.bit : undefined,
    order: order === undefined ? undefined : intern(order),
    length: isText ? modbusStringLength(addr) : undefined,
    stringMode: addr.stringMode ?? 'H',
  };
  return { ok: true, point };
}

/** One copy of each order string, however many tags name it. */
const interned = new Map<string, string>();
function intern<T extends string>(s: T): T {
  const known = interned.get(s);
  if (known !== undefined) return known as T;
  interned.set(s, s);
  return s;
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
