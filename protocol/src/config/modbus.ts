import { z } from 'zod';
import type { TagAccess, TagType } from './tag.js';

/**
 * Modbus devices and tag addresses, in Neuron's syntax so users can bring their tag sheets:
 *
 *   `slave!<area><address>[#order][.bit | .len[H|L|D|E]]`  (the `#order` may also come last)
 *
 * - area: 0 coils (FC 1/5/15), 1 discrete inputs (FC 2), 3 input registers (FC 4),
 *   4 holding registers (FC 3/6/16); the digits after it are the address, 1-based by default
 *   (`addressBase`), so `1!400001` is holding register 0 of slave 1.
 * - `.bit` (0–15): one bit of a register (read only). `.len` with string/bytes: the length in
 *   bytes; `H` two bytes per register high byte first (default), `L` low byte first, `D` one byte
 *   per register in the low byte, `E` one byte in the high byte.
 * - `#order`: Neuron's `L`/`B` (16-bit) and `LL`/`LB`/`BL`/`BB` (32/64-bit), or the letters:
 *   `AB`/`BA`, `ABCD`/`BADC`/`CDAB`/`DCBA`, `ABCDEFGH`/`BADCFEHG`/`GHEFCDAB`/`HGFEDCBA`
 *   (A is the first byte on the wire; ABCD is big-endian).
 */

export const MODBUS_AREAS = [0, 1, 3, 4] as const;
export type ModbusArea = (typeof MODBUS_AREAS)[number];

export const MODBUS_ORDERS_16 = ['AB', 'BA'] as const;
export const MODBUS_ORDERS_32 = ['ABCD', 'BADC', 'CDAB', 'DCBA'] as const;
export const MODBUS_ORDERS_64 = ['ABCDEFGH', 'BADCFEHG', 'GHEFCDAB', 'HGFEDCBA'] as const;
export type ModbusOrder16 = (typeof MODBUS_ORDERS_16)[number];
export type ModbusOrder32 = (typeof MODBUS_ORDERS_32)[number];
export type ModbusOrder64 = (typeof MODBUS_ORDERS_64)[number];
export type ModbusOrder = ModbusOrder16 | ModbusOrder32 | ModbusOrder64;
export type ModbusStringMode = 'H' | 'L' | 'D' | 'E';

/** The most registers one read may ask for (FC 3/4), and bits (FC 1/2). */
export const MODBUS_MAX_READ_REGISTERS = 125;
export const MODBUS_MAX_READ_BITS = 2000;

/** Neuron's order suffixes → the letter form, by value width. */
const NEURON_ORDERS: Record<string, { 16?: ModbusOrder16; 32?: ModbusOrder32; 64?: ModbusOrder64 }> = {
  L: { 16: 'AB' },
  B: { 16: 'BA' },
  LL: { 32: 'ABCD', 64: 'ABCDEFGH' },
  LB: { 32: 'BADC', 64: 'BADCFEHG' },
  BL: { 32: 'CDAB', 64: 'GHEFCDAB' },
  BB: { 32: 'DCBA', 64: 'HGFEDCBA' },
};

export interface ModbusAddress {
  slave: number;
  area: ModbusArea;
  /** The number as written after the area digit (interpret with the device's `addressBase`). */
  address: number;
  /** `.bit` of a register. */
  bit?: number;
  /** `.len` of a string or bytes tag, in bytes. */
  length?: number;
  stringMode?: ModbusStringMode;
  /** The order suffix as written (`LB`, `CDAB`…), if any; resolve it with `resolveModbusOrder`. */
  order?: string;
}

export type ModbusParse<T> = { ok: true; value: T } | { ok: false; message: string };

const ADDRESS_RE = /^(\d{1,3})!([0-9])(\d{1,5})(?:#([A-Za-z]{1,8}))?(?:\.(\d{1,4})([A-Za-z])?)?(?:#([A-Za-z]{1,8}))?$/;

/** Parses the syntax only; `checkModbusTag` checks it against the tag's type, access and the device. */
export function parseModbusAddress(text: string): ModbusParse<ModbusAddress> {
  const m = ADDRESS_RE.exec(text.trim());
  if (!m) {
    return { ok: false, message: `'${text}' is not a Modbus address: expected slave!<area><address>[#order][.bit|.len[H|L|D|E]], e.g. 1!400001 or 1!400010#BB` };
  }
  const [, slaveText, areaText, addressText, orderBefore, dotNumber, dotSuffix, orderAfter] = m;
  if (orderBefore && orderAfter) return { ok: false, message: `'${text}': give the byte order once` };
  const slave = Number(slaveText);
  if (slave > 255) return { ok: false, message: `'${text}': slave ${slave} is out of range (0–255)` };
  const area = Number(areaText);
  if (!(MODBUS_AREAS as readonly number[]).includes(area)) {
    return { ok: false, message: `'${text}': area ${area} does not exist; use 0 (coils), 1 (discrete inputs), 3 (input registers) or 4 (holding registers)` };
  }
  const value: ModbusAddress = { slave, area: area as ModbusArea, address: Number(addressText) };
  const order = (orderBefore ?? orderAfter)?.toUpperCase();
  if (order !== undefined) value.order = order;
  if (dotNumber !== undefined) {
    if (dotSuffix !== undefined) {
      const mode = dotSuffix.toUpperCase();
      if (!['H', 'L', 'D', 'E'].includes(mode)) return { ok: false, message: `'${text}': string mode '${dotSuffix}' is unknown; use H, L, D or E` };
      value.length = Number(dotNumber);
      value.stringMode = mode as ModbusStringMode;
    } else {
      // `.n` alone is a bit for bit/bool tags and a length for string/bytes: checkModbusTag decides.
      value.bit = Number(dotNumber);
    }
  }
  return { ok: true, value };
}

/** How many registers (areas 3/4) or bits (areas 0/1) a tag occupies. */
export function modbusTagSpan(addr: ModbusAddress, type: TagType): number {
  if (addr.area === 0 || addr.area === 1) return 1;
  switch (type) {
    case 'bit':
    case 'bool':
    case 'int16':
    case 'uint16':
      return 1;
    case 'int32':
    case 'uint32':
    case 'float32':
      return 2;
    case 'int64':
    case 'uint64':
    case 'float64':
      return 4;
    case 'string':
    case 'bytes': {
      const len = modbusStringLength(addr) ?? 0;
      const mode = addr.stringMode ?? 'H';
      return mode === 'D' || mode === 'E' ? len : Math.ceil(len / 2);
    }
  }
}

/** The value width in bits a byte order applies to, or undefined for types without one. */
export function modbusOrderWidth(type: TagType): 16 | 32 | 64 | undefined {
  switch (type) {
    case 'int16':
    case 'uint16':
      return 16;
    case 'int32':
    case 'uint32':
    case 'float32':
      return 32;
    case 'int64':
    case 'uint64':
    case 'float64':
      return 64;
    default:
      return undefined;
  }
}

/** Normalises a written order suffix to the letter form for this type, or explains why it does not fit. */
export function normaliseModbusOrder(order: string, type: TagType): ModbusParse<ModbusOrder> {
  const width = modbusOrderWidth(type);
  if (width === undefined) return { ok: false, message: `${aTag(type)} takes no byte order` };
  const neuron = NEURON_ORDERS[order]?.[width];
  if (neuron) return { ok: true, value: neuron };
  const letters: readonly string[] = width === 16 ? MODBUS_ORDERS_16 : width === 32 ? MODBUS_ORDERS_32 : MODBUS_ORDERS_64;
  if (letters.includes(order)) return { ok: true, value: order as ModbusOrder };
  const neuronNames = Object.entries(NEURON_ORDERS)
    .filter(([, v]) => v[width] !== undefined)
    .map(([k]) => k);
  return { ok: false, message: `byte order '${order}' does not fit a ${width}-bit ${type}; use ${[...neuronNames, ...letters].join(', ')}` };
}

/** The order a tag is read and written with: its own suffix, else the device's default for its width. */
export function resolveModbusOrder(addr: ModbusAddress, type: TagType, defaults: ModbusOrderDefaults): ModbusOrder | undefined {
  const width = modbusOrderWidth(type);
  if (width === undefined) return undefined;
  if (addr.order !== undefined) {
    const r = normaliseModbusOrder(addr.order, type);
    if (r.ok) return r.value;
  }
  return width === 16 ? defaults.order16 : width === 32 ? defaults.order32 : defaults.order64;
}

export interface ModbusOrderDefaults {
  order16: ModbusOrder16;
  order32: ModbusOrder32;
  order64: ModbusOrder64;
}

/** The zero-based protocol address of a tag, given the device's address base. */
export function modbusOffset(addr: ModbusAddress, addressBase: 0 | 1): number {
  return addr.address - addressBase;
}

/**
 * Checks a parsed address against the tag's type and access and the device's address base.
 * Answers a message naming the problem, or undefined when the tag is fine.
 */
export function checkModbusTag(addr: ModbusAddress, type: TagType, access: TagAccess, addressBase: 0 | 1): string | undefined {
  const areaName = { 0: 'coil', 1: 'discrete input', 3: 'input register', 4: 'holding register' }[addr.area];
  const offset = modbusOffset(addr, addressBase);
  if (offset < 0 || offset > 65_535) {
    return `${areaName} address ${addr.address} is out of range (${addressBase}–${65_535 + addressBase} with address base ${addressBase})`;
  }
  if (addr.area === 0 || addr.area === 1) {
    if (type !== 'bit' && type !== 'bool') return `a ${areaName} holds one bit: use type bit or bool, not ${type}`;
    if (addr.bit !== undefined || addr.length !== undefined) return `a ${areaName} takes no .bit or .len`;
    if (addr.order !== undefined) return `a ${areaName} takes no byte order`;
    if (access === 'rw' && addr.area === 1) return 'discrete inputs are read only';
    return undefined;
  }
  // Registers.
  if (type === 'bit' || type === 'bool') {
    if (addr.stringMode !== undefined) return `${aTag(type)} takes no string mode; give the bit of the register as .0 to .15`;
    if (addr.bit === undefined) return `${aTag(type)} in a register needs the bit: add .0 to .15 (e.g. ${addr.slave}!${addr.area}${pad(addr.address)}.3)`;
    if (addr.bit > 15) return `bit ${addr.bit} is out of range (0–15)`;
    if (addr.order !== undefined) return 'a bit of a register takes no byte order';
    if (access === 'rw') return 'a bit inside a register is read only (writing it would overwrite the other 15 bits)';
    return undefined;
  }
  if (type === 'string' || type === 'bytes') {
    const length = addr.length ?? addr.bit; // `.10` without a mode letter is a length here
    if (length === undefined) return `${aTag(type)} needs its length in bytes: add .len (e.g. ${addr.slave}!${addr.area}${pad(addr.address)}.10H)`;
    if (length < 1) return 'the length must be at least 1 byte';
    if (addr.order !== undefined) return `${aTag(type)} takes no byte order (the H/L/D/E mode sets it)`;
    if (type === 'bytes' && addr.stringMode !== undefined && addr.stringMode !== 'H') return 'a bytes tag takes no string mode';
    const span = modbusTagSpan(addr, type);
    if (span > MODBUS_MAX_READ_REGISTERS) return `${length} bytes need ${span} registers; one read carries at most ${MODBUS_MAX_READ_REGISTERS}`;
    if (offset + span - 1 > 65_535) return `the tag runs past register 65535`;
  } else {
    if (addr.bit !== undefined || addr.length !== undefined) return `${aTag(type)} takes no .bit or .len`;
    if (addr.order !== undefined) {
      const r = normaliseModbusOrder(addr.order, type);
      if (!r.ok) return r.message;
    }
    if (offset + modbusTagSpan(addr, type) - 1 > 65_535) return `the tag runs past register 65535`;
  }
  if (access === 'rw' && addr.area === 3) return 'input registers are read only; use a holding register (area 4) to write';
  return undefined;
}

/** For string/bytes tags: `.10` without a mode letter means a length. */
export function modbusStringLength(addr: ModbusAddress): number | undefined {
  return addr.length ?? addr.bit;
}

/** "a string tag", "an int16 tag". */
function aTag(type: TagType): string {
  return `${type.startsWith('int') ? 'an' : 'a'} ${type} tag`;
}

function pad(address: number): string {
  return String(address).padStart(5, '0');
}

// ---------------------------------------------------------------------------------------------
// Device settings

const TimeoutSchema = z.number().int().min(10).max(600_000);

/** Settings every Modbus transport shares: timing, robustness, addressing and request planning. */
const modbusCommon = {
  /** How long to wait for one answer. */
  timeoutMs: TimeoutSchema.default(3000),
  /** Retries of a request that timed out or failed, before the cycle counts it as failed. */
  retries: z.number().int().min(0).max(10).default(1),
  retryIntervalMs: z.number().int().min(0).max(60_000).default(100),
  /** Pause between two requests on the same line or connection (slow serial devices). */
  requestDelayMs: z.number().int().min(0).max(60_000).default(0),
  /** 1: addresses are written 1-based (Modicon, Neuron's default); 0: as sent on the wire. */
  addressBase: z.union([z.literal(0), z.literal(1)]).default(1),
  maxRegistersPerRequest: z.number().int().min(1).max(MODBUS_MAX_READ_REGISTERS).default(MODBUS_MAX_READ_REGISTERS),
  maxBitsPerRequest: z.number().int().min(1).max(MODBUS_MAX_READ_BITS).default(MODBUS_MAX_READ_BITS),
  /** Unused registers/bits one read may bridge to save a request (0: only contiguous tags share a read). */
  maxGapRegisters: z.number().int().min(0).max(MODBUS_MAX_READ_REGISTERS).default(10),
  maxGapBits: z.number().int().min(0).max(MODBUS_MAX_READ_BITS).default(160),
  /** A slave failing this many cycles in a row is skipped for `backoffMs`, then tried again. */
  failuresBeforeBackoff: z.number().int().min(1).max(1000).default(3),
  backoffMs: z.number().int().min(100).max(3_600_000).default(10_000),
  order16: z.enum(MODBUS_ORDERS_16).default('AB'),
  order32: z.enum(MODBUS_ORDERS_32).default('ABCD'),
  order64: z.enum(MODBUS_ORDERS_64).default('ABCDEFGH'),
};

const PortSchema = z.number().int().min(1).max(65_535);

/** Modbus TCP, and RTU framing over a TCP socket (serial servers, gateways). */
export const ModbusTcpSettingsSchema = z
  .object({
    host: z.string().min(1).max(255),
    port: PortSchema.default(502),
    ...modbusCommon,
  })
  .strict();
export type ModbusTcpSettings = z.output<typeof ModbusTcpSettingsSchema>;

/** Modbus RTU on a serial line. */
export const ModbusRtuSettingsSchema = z
  .object({
    path: z.string().min(1).max(255),
    baudRate: z.number().int().min(300).max(4_000_000).default(9600),
    parity: z.enum(['none', 'even', 'odd']).default('none'),
    dataBits: z.union([z.literal(7), z.literal(8)]).default(8),
    stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
    ...modbusCommon,
  })
  .strict();
export type ModbusRtuSettings = z.output<typeof ModbusRtuSettingsSchema>;

export type ModbusSettings = ModbusTcpSettings | ModbusRtuSettings;
