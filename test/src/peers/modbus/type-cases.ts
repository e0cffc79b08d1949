import type { TagInput, TagType, TagValue } from '@edgefleet/protocol';

/**
 * Tags of every numeric type in every byte/word order, with the registers a server holds for
 * each value. The expected registers are worked out here independently of the driver: the
 * value's big-endian bytes from Node's Buffer, laid on the wire by the order's letters as the
 * Neuron table defines them (letter i names the wire byte that carries the value's i-th most
 * significant byte; A is the first byte on the wire).
 */

export interface RegisterCase {
  tag: TagInput & { name: string; address: string; type: TagType };
  /** Zero-based address of the first register. */
  offset: number;
  /** What the server holds for `value`. */
  registers: number[];
  value: TagValue;
}

/** Every order suffix a tag may carry, Neuron's and the letters, with the letters it means. */
export const ORDERS: Record<16 | 32 | 64, Array<[suffix: string, letters: string]>> = {
  16: [
    ['', 'AB'],
    ['#L', 'AB'],
    ['#B', 'BA'],
    ['#AB', 'AB'],
    ['#BA', 'BA'],
  ],
  32: [
    ['', 'ABCD'],
    ['#LL', 'ABCD'],
    ['#LB', 'BADC'],
    ['#BL', 'CDAB'],
    ['#BB', 'DCBA'],
    ['#ABCD', 'ABCD'],
    ['#BADC', 'BADC'],
    ['#CDAB', 'CDAB'],
    ['#DCBA', 'DCBA'],
  ],
  64: [
    ['', 'ABCDEFGH'],
    ['#LL', 'ABCDEFGH'],
    ['#LB', 'BADCFEHG'],
    ['#BL', 'GHEFCDAB'],
    ['#BB', 'HGFEDCBA'],
    ['#ABCDEFGH', 'ABCDEFGH'],
    ['#BADCFEHG', 'BADCFEHG'],
    ['#GHEFCDAB', 'GHEFCDAB'],
    ['#HGFEDCBA', 'HGFEDCBA'],
  ],
};

/** One value per type, with every byte different so a misplaced byte shows. */
const VALUES: Array<{ type: TagType; width: 16 | 32 | 64; value: TagValue; bigEndian: Buffer }> = [
  { type: 'int16', width: 16, value: -12_345, bigEndian: be(2, (b) => b.writeInt16BE(-12_345)) },
  { type: 'uint16', width: 16, value: 0xa1b2, bigEndian: be(2, (b) => b.writeUInt16BE(0xa1b2)) },
  { type: 'int32', width: 32, value: -123_456_789, bigEndian: be(4, (b) => b.writeInt32BE(-123_456_789)) },
  { type: 'uint32', width: 32, value: 0xa1b2c3d4, bigEndian: be(4, (b) => b.writeUInt32BE(0xa1b2c3d4)) },
  { type: 'float32', width: 32, value: Math.fround(-12_345.678), bigEndian: be(4, (b) => b.writeFloatBE(-12_345.678)) },
  { type: 'int64', width: 64, value: '-1234567890123456789', bigEndian: be(8, (b) => b.writeBigInt64BE(-1234567890123456789n)) },
  { type: 'uint64', width: 64, value: '12345678901234567890', bigEndian: be(8, (b) => b.writeBigUInt64BE(12345678901234567890n)) },
  { type: 'float64', width: 64, value: -98_765.4321e-7, bigEndian: be(8, (b) => b.writeDoubleBE(-98_765.4321e-7)) },
];

function be(size: number, write: (b: Buffer) => void): Buffer {
  const b = Buffer.alloc(size);
  write(b);
  return b;
}

/** The registers that carry `bigEndian` under `letters`. */
export function wireRegisters(bigEndian: Buffer, letters: string): number[] {
  const wire = Buffer.alloc(bigEndian.length);
  for (let i = 0; i < letters.length; i++) wire[letters.charCodeAt(i) - 65] = bigEndian[i]!;
  const registers: number[] = [];
  for (let i = 0; i < wire.length; i += 2) registers.push(wire.readUInt16BE(i));
  return registers;
}

/** Holding-register address as written in a tag: `slave!4xxxxx` (1-based). */
export function holding(slave: number, offset: number, suffix = ''): string {
  return `${slave}!4${String(offset + 1).padStart(5, '0')}${suffix}`;
}

/** Every numeric type in every order, packed from `start` (zero-based) in holding registers. */
export function numericCases(slave: number, start: number): RegisterCase[] {
  const cases: RegisterCase[] = [];
  let offset = start;
  for (const v of VALUES) {
    for (const [suffix, letters] of ORDERS[v.width]) {
      const registers = wireRegisters(v.bigEndian, letters);
      const name = `${v.type}_${suffix ? suffix.slice(1) : 'default'}`;
      cases.push({ tag: { name, address: holding(slave, offset, suffix), type: v.type, access: 'rw' }, offset, registers, value: v.value });
      offset += registers.length;
    }
  }
  return cases;
}

/** 'Hello' in each string mode, and four octets as bytes. */
export function textCases(slave: number, start: number): RegisterCase[] {
  const layouts: Array<[mode: string, registers: number[]]> = [
    ['H', [0x4865, 0x6c6c, 0x6f00]],
    ['L', [0x6548, 0x6c6c, 0x006f]],
    ['D', [0x48, 0x65, 0x6c, 0x6c, 0x6f]],
    ['E', [0x4800, 0x6500, 0x6c00, 0x6c00, 0x6f00]],
  ];
  const cases: RegisterCase[] = [];
  let offset = start;
  for (const [mode, registers] of layouts) {
    cases.push({ tag: { name: `text_${mode}`, address: `${holding(slave, offset)}.5${mode}`, type: 'string', access: 'rw' }, offset, registers, value: 'Hello' });
    offset += registers.length;
  }
  cases.push({ tag: { name: 'octets', address: `${holding(slave, offset)}.4`, type: 'bytes', access: 'rw' }, offset, registers: [0xdead, 0xbeef], value: [0xde, 0xad, 0xbe, 0xef] });
  return cases;
}
