import net from 'node:net';
import type { ModbusRtuSettings, ModbusTcpSettings } from '@edgefleet/protocol';
import { errorMessage } from '../../util/errors.js';
import { ModbusConnectionError, ModbusExceptionError, ModbusFrameError, ModbusTimeoutError } from './errors.js';

/** One Modbus request as the transport sends it (addresses zero-based). */
export type ModbusRequest =
  | { fc: 1 | 2 | 3 | 4; address: number; count: number }
  | { fc: 5; address: number; value: boolean }
  | { fc: 6; address: number; value: number }
  | { fc: 15; address: number; values: boolean[] }
  | { fc: 16; address: number; values: number[] };

/** What a read returns: bits for FC 1/2, registers for FC 3/4; writes return nothing. */
export type ModbusReply = boolean[] | number[] | undefined;

/** Called once with a request's outcome: an error, or the reply. */
export type ReplyCallback = (err: Error | null, reply?: ModbusReply) => void;

/**
 * An open link to a Modbus line: a TCP socket or a serial port. One request at a time (the
 * transport serializes them); timing out is the transport's job, so `send` may never call back
 * when the slave never answers. A callback rather than a promise: at line speed each promise
 * layer per request is a measurable share of the driver's own cost.
 */
export interface ModbusConnection {
  /** Sends a request; `done` is called once, never synchronously. */
  send(slave: number, request: ModbusRequest, done: ReplyCallback): void;
  /** After a timeout on an RTU framing: drop buffered bytes so a late answer cannot pass for the next one. */
  discardInput(): void;
  close(): Promise<void>;
  /** Called once if the link drops by itself (not after `close`). */
  onClose(listener: (reason: string) => void): void;
}

export type ConnectionFactory = () => Promise<ModbusConnection>;

export type ModbusTarget =
  | { kind: 'modbus-tcp' | 'modbus-rtu-over-tcp'; settings: ModbusTcpSettings }
  | { kind: 'modbus-rtu'; settings: ModbusRtuSettings };

/** Where a target points, for messages: `10.0.0.5:502` or `/dev/ttyUSB0`. */
export function describeTarget(target: ModbusTarget): string {
  return target.kind === 'modbus-rtu' ? target.settings.path : `${target.settings.host}:${target.settings.port}`;
}

// modbus-serial is CommonJS: `module.exports`, the default import, is the client class.
type ModbusClientClass = Extract<(typeof import('modbus-serial'))['default'], abstract new () => unknown>;
type ModbusClient = InstanceType<ModbusClientClass>;

let loaded: Promise<ModbusClientClass> | undefined;

/** modbus-serial (and serialport with it) is loaded on first use, so agents without Modbus devices do not carry it. */
export function loadModbusSerial(): Promise<ModbusClientClass> {
  const load = (loaded ??= import('modbus-serial').then((mod) => mod.default as unknown as ModbusClientClass));
  return load;
}

/** The connection factory for a device: modbus-serial's client over our own socket, or its buffered RTU serial port. */
export function modbusSerialConnector(target: ModbusTarget): ConnectionFactory {
  return async () => {
    const ModbusClient = await loadModbusSerial();
    const client = new ModbusClient();
    if (target.kind === 'modbus-rtu') {
      const s = target.settings;
      try {
        await client.connectRTUBuffered(s.path, { baudRate: s.baudRate, parity: s.parity, dataBits: s.dataBits, stopBits: s.stopBits });
      } catch (err) {
        // serialport's messages start with "Error: " themselves.
        throw new ModbusConnectionError(`cannot open ${s.path}: ${errorMessage(err).replace(/^Error: /, '')}`);
      }
      return new SerialClientConnection(client, target.kind, s.timeoutMs);
    }
    const socket = await connectSocket(target.settings.host, target.settings.port, Math.max(1000, target.settings.timeoutMs));
    try {
      // modbus-tcp: MBAP framing with transaction ids. rtu-over-tcp: bare RTU frames with their CRC
      // (modbus-serial calls that port "telnet"; its `TcpRTUBuffered` port speaks MBAP instead).
      if (target.kind === 'modbus-tcp') await client.linkTCP(socket, { port: target.settings.port });
      else await client.linkTelnet(socket, { port: target.settings.port });
    } catch (err) {
      socket.destroy();
      throw new ModbusConnectionError(`cannot set up Modbus on ${target.settings.host}:${target.settings.port}: ${errorMessage(err)}`);
    }
    return new SocketClientConnection(client, socket, target.kind, target.settings.timeoutMs);
  };
}

/** A TCP socket with no-delay (one small request, one small answer: Nagle only adds latency) and keep-alive. */
function connectSocket(host: string, port: number, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, noDelay: true, keepAlive: true, keepAliveInitialDelay: 10_000 });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new ModbusConnectionError(`cannot connect to ${host}:${port}: no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      socket.setNoDelay(true);
      resolve(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      socket.destroy();
      reject(new ModbusConnectionError(`cannot connect to ${host}:${port}: ${errorMessage(err)}`));
    });
  });
}

interface ModbusSerialError {
  message?: string;
  modbusCode?: number;
  errno?: string;
  name?: string;
}

abstract class ClientConnection implements ModbusConnection {
  private closeListener: ((reason: string) => void) | undefined;
  private closed = false;
  private dropReason: string | undefined;
  protected lastError: string | undefined;

  constructor(
    protected readonly client: ModbusClient,
    private readonly kind: ModbusTarget['kind'],
    timeoutMs: number,
  ) {
    // Without a listener an 'error' event would throw; the close that follows is what matters.
    client.on('error', (err: unknown) => {
      this.lastError = errorMessage(err);
    });
    // modbus-serial keeps a timer per transaction too: ours (the transport's) fires first and
    // decides; the library's, a little later, only forgets the transaction.
    client.setTimeout(timeoutMs + 250);
  }

  onClose(listener: (reason: string) => void): void {
    this.closeListener = listener;
    // Dropped before anyone listened (the socket closed right after it opened): say so now.
    if (this.dropReason !== undefined) listener(this.dropReason);
  }

  protected dropped(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.dropReason = reason;
    this.closeListener?.(reason);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.shut();
  }

  protected abstract shut(): Promise<void>;

  discardInput(): void {
    if (this.kind === 'modbus-tcp') return; // MBAP frames carry their length and transaction id
    // The RTU ports of modbus-serial (8.0.x) collect bytes in `_buffer` until a frame is complete.
    const port = (this.client as unknown as { _port?: { _buffer?: unknown } })._port;
    if (port && Buffer.isBuffer(port._buffer)) port._buffer = Buffer.alloc(0);
  }

  /**
   * modbus-serial (8.0.x) keeps each request's transaction (our callback, its timer, the
   * addresses) in `_transactions` until the transaction id, one of 256, comes round again: at 8
   * requests a second that is half a minute, so every transaction is promoted to the old
   * generation and dies there (≈ 0.3 MB/s of old-space growth at 100 devices). The transport has
   * one request on the wire at a time, so when the next one is sent the earlier ones are over:
   * forgetting them lets them die young. A late answer to a forgotten transaction is ignored by
   * the library, as it ignores any answer it has no transaction for.
   */
  private forgetTransactions(): void {
    const client = this.client as unknown as { _transactions?: unknown };
    if (typeof client._transactions === 'object' && client._transactions !== null) client._transactions = {};
  }

  send(slave: number, request: ModbusRequest, reply: ReplyCallback): void {
    {
      if (this.closed || !this.client.isOpen) {
        const reason = this.lastError ? `not connected: ${this.lastError}` : 'not connected';
        // The port closed without our hearing of it: let the transport reconnect.
        this.dropped(reason);
        queueMicrotask(() => reply(new ModbusConnectionError(reason)));
        return;
      }
      this.forgetTransactions();
      const done = replyCallback(slave, request, reply);
      const c = this.client;
      switch (request.fc) {
        case 1:
          return c.writeFC1(slave, request.address, request.count, done);
        case 2:
          return c.writeFC2(slave, request.address, request.count, done);
        case 3:
          return c.writeFC3(slave, request.address, request.count, done);
        case 4:
          return c.writeFC4(slave, request.address, request.count, done);
        case 5:
          return c.writeFC5(slave, request.address, request.value, done);
        case 6:
          return c.writeFC6(slave, request.address, request.value, done);
        case 15:
          return c.writeFC15(slave, request.address, request.values, done);
        case 16:
          return c.writeFC16(slave, request.address, request.values, done);
      }
    }
  }
}

/**
 * The callback modbus-serial calls with a request's answer. The library keeps every transaction,
 * and with it this callback, until its transaction id (one of 256) comes round again: at 8
 * requests a second per device that is half a minute, long enough for V8 to move it to the old
 * generation (the connection forgets them when it sends the next request, but the one answered
 * last stays). So the callback holds only what it needs (not the request, nor the caller's
 * callback once called): through the caller it would otherwise keep the reply.
 */
function replyCallback(slave: number, request: ModbusRequest, reply: ReplyCallback): (err: unknown, data: unknown) => void {
  const fc = request.fc;
  const count = fc === 1 || fc === 2 ? request.count : 0;
  let pending: ReplyCallback | undefined = reply;
  return (err, data) => {
    const p = pending;
    // A second call (the library's own timeout after an answer we already had) changes nothing.
    if (!p) return;
    pending = undefined;
    if (err) p(mapError(slave, err as ModbusSerialError));
    else p(null, pickReply(fc, count, data));
  };
}

function pickReply(fc: ModbusRequest['fc'], count: number, data: unknown): ModbusReply {
  if (fc > 4) return undefined;
  const values = (data as { data?: unknown[] } | undefined)?.data;
  if (!Array.isArray(values)) return [];
  // FC 1/2 answers whole bytes: keep the bits asked for.
  return (fc === 1 || fc === 2 ? (values as boolean[]).slice(0, count) : values) as boolean[] | number[];
}

function mapError(slave: number, err: ModbusSerialError): Error {
  if (typeof err.modbusCode === 'number') return new ModbusExceptionError(slave, err.modbusCode);
  if (err.errno === 'ETIMEDOUT' || err.name === 'TransactionTimedOutError') return new ModbusTimeoutError(slave, 0);
  if (err.name === 'PortNotOpenError') return new ModbusConnectionError('not connected');
  return new ModbusFrameError(slave, err.message ?? String(err));
}

class SocketClientConnection extends ClientConnection {
  constructor(
    client: ModbusClient,
    private readonly socket: net.Socket,
    kind: ModbusTarget['kind'],
    timeoutMs: number,
  ) {
    super(client, kind, timeoutMs);
    socket.on('error', (err) => {
      this.lastError = errorMessage(err);
    });
    socket.once('close', () => this.dropped(this.lastError ? `connection lost: ${this.lastError}` : 'connection closed by the device'));
    if (socket.destroyed) this.dropped('connection closed by the device');
  }

  protected async shut(): Promise<void> {
    if (this.socket.destroyed) return;
    await new Promise<void>((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.destroy();
    });
  }
}

class SerialClientConnection extends ClientConnection {
  constructor(client: ModbusClient, kind: ModbusTarget['kind'], timeoutMs: number) {
    super(client, kind, timeoutMs);
    client.on('close', () => this.dropped(this.lastError ? `serial port closed: ${this.lastError}` : 'serial port closed'));
  }

  protected async shut(): Promise<void> {
    if (!this.client.isOpen) return;
    await new Promise<void>((resolve) => this.client.close(() => resolve()));
  }
}
