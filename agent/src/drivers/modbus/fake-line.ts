import type { ModbusConnection, ModbusReply, ModbusRequest, ReplyCallback } from './connection.js';
import { ModbusConnectionError, ModbusExceptionError, ModbusFrameError } from './errors.js';

/**
 * An in-memory Modbus line for unit tests of the transport and driver: slaves with four areas,
 * slaves that never answer, addresses that answer exception 2, answers that take a while, and a
 * link that can be dropped. Integration tests use a real server (test/src/peers/modbus).
 */
export class FakeSlave {
  readonly coils = new Map<number, boolean>();
  readonly discrete = new Map<number, boolean>();
  readonly input = new Map<number, number>();
  readonly holding = new Map<number, number>();
  /** Addresses `[from, to]` (inclusive) per area that answer exception 2. */
  readonly holes: Partial<Record<0 | 1 | 3 | 4, Array<[number, number]>>> = {};
  silent = false;
  /** Answer every request with this exception (e.g. 11 from a gateway whose device is gone). */
  exception: number | undefined;
}

export interface SentRequest {
  slave: number;
  request: ModbusRequest;
  at: number;
}

export class FakeLine {
  readonly slaves = new Map<number, FakeSlave>();
  readonly sent: SentRequest[] = [];
  /** Time each answer takes, in ms. */
  latencyMs = 0;
  /** Answers still to come (for checking that requests never overlap). */
  busy = 0;
  maxBusy = 0;
  /** Connection attempts that will fail before one succeeds. */
  failConnects = 0;
  connects = 0;
  /** The next answers that arrive garbled (a CRC error, say). */
  garbleNext = 0;
  /** Calls to `discardInput` (after timeouts on RTU framings). */
  discards = 0;
  private current: FakeConnection | undefined;

  slave(id: number): FakeSlave {
    let s = this.slaves.get(id);
    if (!s) {
      s = new FakeSlave();
      this.slaves.set(id, s);
    }
    return s;
  }

  /** A connection factory for the transport. */
  readonly connect = async (): Promise<ModbusConnection> => {
    this.connects++;
    if (this.failConnects > 0) {
      this.failConnects--;
      throw new ModbusConnectionError('cannot connect to fake: connect ECONNREFUSED');
    }
    this.current = new FakeConnection(this);
    return this.current;
  };

  /** Drops the link as a device restart would. */
  drop(reason = 'connection closed by the device'): void {
    this.current?.drop(reason);
    this.current = undefined;
  }

  get connected(): boolean {
    return this.current !== undefined && !this.current.closed;
  }

  /** Requests of a slave (all if omitted), as `fc@address+count`. */
  log(slave?: number): string[] {
    return this.sent
      .filter((s) => slave === undefined || s.slave === slave)
      .map(({ request: r }) => `${r.fc}@${r.address}+${'count' in r ? r.count : 'values' in r ? r.values.length : 1}`);
  }
}

class FakeConnection implements ModbusConnection {
  closed = false;
  private listener: ((reason: string) => void) | undefined;

  constructor(private readonly line: FakeLine) {}

  onClose(listener: (reason: string) => void): void {
    this.listener = listener;
  }

  drop(reason: string): void {
    if (this.closed) return;
    // Like a real socket: what was under way simply never gets its answer; the transport hears the close.
    this.closed = true;
    this.listener?.(reason);
  }

  discardInput(): void {
    this.line.discards++;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  send(slave: number, request: ModbusRequest, done: ReplyCallback): void {
    const line = this.line;
    if (this.closed) {
      queueMicrotask(() => done(new ModbusConnectionError('not connected')));
      return;
    }
    line.sent.push({ slave, request, at: performance.now() });
    line.busy++;
    line.maxBusy = Math.max(line.maxBusy, line.busy);
    const s = line.slaves.get(slave);
    const finish = () => {
      line.busy--;
    };
    if (!s || s.silent) {
      // Never answers; the transport times out. Counted as done for overlap checks.
      setTimeout(finish, 0);
      return;
    }
    setTimeout(() => {
      if (this.closed) return;
      finish();
      if (line.garbleNext > 0) {
        line.garbleNext--;
        done(new ModbusFrameError(slave, 'CRC error'));
        return;
      }
      let reply: ModbusReply;
      try {
        reply = execute(s, slave, request);
      } catch (err) {
        done(err as Error);
        return;
      }
      done(null, reply);
    }, line.latencyMs);
  }
}

function execute(s: FakeSlave, slave: number, r: ModbusRequest): ModbusReply {
  if (s.exception !== undefined) throw new ModbusExceptionError(slave, s.exception);
  const area = r.fc === 1 || r.fc === 5 || r.fc === 15 ? 0 : r.fc === 2 ? 1 : r.fc === 4 ? 3 : 4;
  const count = 'count' in r ? r.count : 'values' in r ? r.values.length : 1;
  for (const [from, to] of s.holes[area] ?? []) {
    if (r.address <= to && r.address + count - 1 >= from) throw new ModbusExceptionError(slave, 2);
  }
  const range = (n: number) => Array.from({ length: n }, (_, i) => r.address + i);
  switch (r.fc) {
    case 1:
      return range(r.count).map((a) => s.coils.get(a) ?? false);
    case 2:
      return range(r.count).map((a) => s.discrete.get(a) ?? false);
    case 3:
      return range(r.count).map((a) => s.holding.get(a) ?? 0);
    case 4:
      return range(r.count).map((a) => s.input.get(a) ?? 0);
    case 5:
      s.coils.set(r.address, r.value);
      return undefined;
    case 6:
      s.holding.set(r.address, r.value);
      return undefined;
    case 15:
      r.values.forEach((v, i) => s.coils.set(r.address + i, v));
      return undefined;
    case 16:
      r.values.forEach((v, i) => s.holding.set(r.address + i, v));
      return undefined;
  }
}
