/**
 * A minimal, fast Modbus TCP server: the benchmark's peer, run as its own process.
 *
 * Why not pymodbus: with 125-register answers pymodbus 3.0 serves ≈ 4k req/s on one connection
 * here, about half of what a modbus-serial client can ask, so it would measure the server, not
 * the client. This one answers from a Buffer (≈ 20 µs a request), so the client is the limit.
 *
 * One slave image shared by every port and unit id: 65,536 holding registers, input registers,
 * coils and discrete inputs. Function codes 1–6, 15 and 16; anything else answers exception 1
 * (illegal function), a range past the table exception 2. Several requests in one segment
 * (pipelined clients) are answered in order.
 *
 *   node modbus-server.js [--listeners N] [--tick-ms MS] [--host 127.0.0.1]
 *
 * Prints one JSON line `{"ports": [...], "pid": N}` once listening, and later, on SIGUSR2 or
 * stdin line `stats`, `{"requests": N, "connections": N}`. Exits when stdin closes (so it never
 * outlives the bench) or on SIGTERM.
 */
import net from 'node:net';
import { parseArgs } from 'node:util';

const SIZE = 65_536;
const { values: args } = parseArgs({
  options: {
    listeners: { type: 'string', default: '1' },
    'tick-ms': { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
  },
});

const holding = Buffer.alloc(SIZE * 2);
const input = Buffer.alloc(SIZE * 2);
const coils = new Uint8Array(SIZE);
const discrete = new Uint8Array(SIZE);
for (let i = 0; i < SIZE; i++) {
  holding.writeUInt16BE((i * 7) & 0xffff, i * 2);
  input.writeUInt16BE((i * 11) & 0xffff, i * 2);
  coils[i] = i % 3 === 0 ? 1 : 0;
  discrete[i] = i % 2;
}

let requests = 0;
let connections = 0;

function exception(header: Buffer, fc: number, code: number): Buffer {
  const out = Buffer.allocUnsafe(9);
  header.copy(out, 0, 0, 4);
  out.writeUInt16BE(3, 4);
  out[6] = header[6] as number;
  out[7] = fc | 0x80;
  out[8] = code;
  return out;
}

function answer(frame: Buffer, pdu: Buffer): Buffer {
  const out = Buffer.allocUnsafe(7 + pdu.length);
  frame.copy(out, 0, 0, 4);
  out.writeUInt16BE(pdu.length + 1, 4);
  out[6] = frame[6] as number;
  pdu.copy(out, 7);
  return out;
}

/** Answers one complete frame (MBAP header + PDU). */
function handle(frame: Buffer): Buffer {
  const fc = frame[7] as number;
  const len = frame.length;
  if (len < 12 && fc !== 7) return exception(frame, fc, 3);
  const start = frame.readUInt16BE(8);
  const qty = frame.readUInt16BE(10);
  switch (fc) {
    case 3:
    case 4: {
      if (qty < 1 || qty > 125) return exception(frame, fc, 3);
      if (start + qty > SIZE) return exception(frame, fc, 2);
      const table = fc === 3 ? holding : input;
      const out = Buffer.allocUnsafe(9 + qty * 2);
      frame.copy(out, 0, 0, 4);
      out.writeUInt16BE(3 + qty * 2, 4);
      out[6] = frame[6] as number;
      out[7] = fc;
      out[8] = qty * 2;
      table.copy(out, 9, start * 2, (start + qty) * 2);
      return out;
    }
    case 1:
    case 2: {
      if (qty < 1 || qty > 2000) return exception(frame, fc, 3);
      if (start + qty > SIZE) return exception(frame, fc, 2);
      const table = fc === 1 ? coils : discrete;
      const bytes = Math.ceil(qty / 8);
      const pdu = Buffer.alloc(2 + bytes);
      pdu[0] = fc;
      pdu[1] = bytes;
      for (let i = 0; i < qty; i++) if (table[start + i]) pdu[2 + (i >> 3)]! |= 1 << (i & 7);
      return answer(frame, pdu);
    }
    case 5: {
      if (qty !== 0xff00 && qty !== 0) return exception(frame, fc, 3);
      coils[start] = qty === 0xff00 ? 1 : 0;
      return answer(frame, frame.subarray(7, 12));
    }
    case 6: {
      holding.writeUInt16BE(qty, start * 2);
      return answer(frame, frame.subarray(7, 12));
    }
    case 15: {
      if (qty < 1 || qty > 1968 || len < 13) return exception(frame, fc, 3);
      if (start + qty > SIZE) return exception(frame, fc, 2);
      for (let i = 0; i < qty; i++) coils[start + i] = ((frame[13 + (i >> 3)] ?? 0) >> (i & 7)) & 1;
      return answer(frame, frame.subarray(7, 12));
    }
    case 16: {
      if (qty < 1 || qty > 123 || len < 13 + qty * 2) return exception(frame, fc, 3);
      if (start + qty > SIZE) return exception(frame, fc, 2);
      frame.copy(holding, start * 2, 13, 13 + qty * 2);
      return answer(frame, frame.subarray(7, 12));
    }
    default:
      return exception(frame, fc, 1);
  }
}

function serve(socket: net.Socket): void {
  connections++;
  socket.setNoDelay(true);
  let pending: Buffer | undefined;
  socket.on('data', (chunk: Buffer) => {
    let buf = pending ? Buffer.concat([pending, chunk]) : chunk;
    pending = undefined;
    const answers: Buffer[] = [];
    while (buf.length >= 7) {
      const length = buf.readUInt16BE(4);
      if (length < 2 || length > 254) {
        socket.destroy();
        return;
      }
      const total = 6 + length;
      if (buf.length < total) break;
      answers.push(handle(buf.subarray(0, total)));
      requests++;
      buf = buf.subarray(total);
    }
    if (buf.length > 0) pending = Buffer.from(buf);
    if (answers.length === 1) socket.write(answers[0] as Buffer);
    else if (answers.length > 1) socket.write(Buffer.concat(answers));
  });
  socket.on('error', () => undefined);
  socket.on('close', () => connections--);
}

async function main(): Promise<void> {
  const host = args.host as string;
  const servers: net.Server[] = [];
  const ports: number[] = [];
  for (let i = 0; i < Number(args.listeners); i++) {
    const server = net.createServer(serve);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: 0, host, backlog: 511 }, () => resolve());
    });
    servers.push(server);
    ports.push((server.address() as net.AddressInfo).port);
  }
  const tickMs = Number(args['tick-ms']);
  if (tickMs > 0) {
    setInterval(() => {
      for (let i = 0; i < SIZE * 2; i += 2) {
        holding.writeUInt16BE((holding.readUInt16BE(i) + 1) & 0xffff, i);
        input.writeUInt16BE((input.readUInt16BE(i) + 1) & 0xffff, i);
      }
    }, tickMs).unref();
  }
  const stats = () => process.stdout.write(`${JSON.stringify({ requests, connections })}\n`);
  process.on('SIGUSR2', stats);
  const stop = () => {
    for (const s of servers) s.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (s: string) => {
    if (s.includes('stats')) stats();
  });
  process.stdin.on('end', stop);
  process.stdout.write(`${JSON.stringify({ ports, pid: process.pid })}\n`);
}

void main();
