import type { Logger } from '../../log.js';
import { Backoff, sleep } from '../../util/backoff.js';
import { errorMessage } from '../../util/errors.js';
import type { ConnectionFactory, ModbusConnection, ModbusReply, ModbusRequest } from './connection.js';
import { ModbusConnectionError, ModbusExceptionError, ModbusTimeoutError } from './errors.js';
import { RateMeter } from './rate-meter.js';

export type TransportState = 'disconnected' | 'connecting' | 'connected' | 'error';

export interface TransportOptions {
  /** `10.0.0.5:502` or `/dev/ttyUSB0`, for messages. */
  target: string;
  connect: ConnectionFactory;
  timeoutMs: number;
  retries: number;
  retryIntervalMs: number;
  requestDelayMs: number;
  log: Logger;
  /** Delays between connection attempts. */
  reconnect?: Backoff;
}

interface Job {
  slave: number;
  request: ModbusRequest;
  resolve: (reply: ModbusReply) => void;
  reject: (err: Error) => void;
}

/** One attempt of a job on the wire: ended by its answer, the watchdog (deadline passed) or a dropped link. */
interface Inflight {
  job: Job;
  attempt: number;
  conn: ModbusConnection;
  started: number;
  /** `performance.now()` time by which it must have been answered. */
  deadline: number;
}

interface Waiter {
  resolve: () => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/** A connection that lasted this long, or answered once, was healthy: the next reconnect starts quick again. */
const HEALTHY_CONNECTION_MS = 10_000;

/**
 * One line or connection to Modbus slaves: connects in the background and reconnects with
 * backoff when the link drops, and sends one request at a time from a queue (a serial line can
 * carry nothing else, and a gateway behind a socket usually cannot either). Each request gets
 * the timeout, its retries after `retryIntervalMs`, and `requestDelayMs` of quiet before it.
 * Exceptions are answers: never retried. A dropped link fails the request under way at once.
 */
export class ModbusTransport {
  private status: TransportState = 'disconnected';
  private conn: ModbusConnection | undefined;
  private connError: string | null = null;
  private nextAttemptAt = 0;
  private readonly queue: Job[] = [];
  private pumping = false;
  private lastEndAt = 0;
  private inflight: Inflight | undefined;
  /**
   * One timer watches the request on the wire, instead of a timer set and cleared per request
   * (at thousands of requests a second that is a good part of the cost of a request). It runs
   * at most once per timeout while requests keep coming, and moves on to the current deadline.
   */
  private watchdog: NodeJS.Timeout | undefined;
  private waiters: Waiter[] = [];
  private abort = new AbortController();
  private running: Promise<void> | undefined;
  private readonly backoff: Backoff;
  private answeredOnConnection = false;

  readonly stats = { requests: 0, errors: 0, timeouts: 0, lastRoundTripMs: null as number | null };
  readonly rate = new RateMeter();

  constructor(private readonly options: TransportOptions) {
    this.backoff = options.reconnect ?? new Backoff(500, 30_000);
  }

  state(): TransportState {
    return this.status;
  }

  /**
   * Why the link is not up; null when connected. Kept stable while the cause is the same (the
   * reported state is republished when it changes), so the retry time is in `nextAttemptInMs`.
   */
  lastError(): string | null {
    if (this.status === 'connected' || this.connError === null) return null;
    return this.connError;
  }

  /** How long until the next connection attempt, or null when none is scheduled. */
  nextAttemptInMs(): number | null {
    if (this.status === 'connected' || this.connError === null) return null;
    return Math.max(0, this.nextAttemptAt - Date.now());
  }

  /** Begins connecting; never waits for the device. */
  start(): void {
    if (this.running) return;
    this.abort = new AbortController();
    this.running = this.run(this.abort.signal);
  }

  async stop(): Promise<void> {
    this.abort.abort(new ModbusConnectionError('the driver stopped'));
    const conn = this.conn;
    this.conn = undefined;
    this.failInflight(new ModbusConnectionError('the driver stopped'));
    clearTimeout(this.watchdog);
    this.watchdog = undefined;
    for (const job of this.queue.splice(0)) job.reject(new ModbusConnectionError('the driver stopped'));
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(new ModbusConnectionError('the driver stopped'));
    }
    if (conn) await conn.close().catch(() => undefined);
    await this.running;
    this.running = undefined;
    this.status = 'disconnected';
  }

  waitConnected(timeoutMs: number): Promise<void> {
    if (this.status === 'connected') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          reject(new ModbusConnectionError(`not connected to ${this.options.target} within ${timeoutMs} ms${this.connError ? `: ${this.connError}` : ''}`));
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  /**
   * Queues one request. Rejects with `ModbusExceptionError` (the slave said no),
   * `ModbusTimeoutError` (no answer after every retry), `ModbusConnectionError` (no link) or
   * `ModbusFrameError` (answers kept arriving garbled). `urgent` requests (writes) jump the queue.
   */
  request(slave: number, request: ModbusRequest, urgent = false): Promise<ModbusReply> {
    return new Promise((resolve, reject) => {
      if (!this.conn) {
        reject(this.notConnected());
        return;
      }
      const job: Job = { slave, request, resolve, reject };
      if (urgent) this.queue.unshift(job);
      else this.queue.push(job);
      if (!this.pumping) this.next();
    });
  }

  private notConnected(): ModbusConnectionError {
    return new ModbusConnectionError(`not connected to ${this.options.target}${this.connError ? ` (${this.connError})` : ''}`);
  }

  /**
   * Runs the queue, one job at a time. Written with callbacks rather than async functions: a
   * request at line speed is a few microseconds of our own work, and each promise layer and
   * timer per request was a good part of it.
   */
  private next(): void {
    const job = this.queue.shift();
    if (!job) {
      this.pumping = false;
      return;
    }
    this.pumping = true;
    this.attempt(job, 0);
  }

  private attempt(job: Job, attempt: number): void {
    const { requestDelayMs } = this.options;
    if (requestDelayMs > 0) {
      const wait = this.lastEndAt + requestDelayMs - performance.now();
      if (wait > 0) {
        void this.quietly(wait).then(() => this.send(job, attempt));
        return;
      }
    }
    this.send(job, attempt);
  }

  private send(job: Job, attempt: number): void {
    const conn = this.conn;
    if (!conn) {
      job.reject(this.notConnected());
      this.next();
      return;
    }
    this.stats.requests++;
    this.rate.add();
    const started = performance.now();
    const inflight: Inflight = { job, attempt, conn, started, deadline: started + this.options.timeoutMs };
    this.inflight = inflight;
    if (this.watchdog === undefined) this.watchdog = setTimeout(this.watch, this.options.timeoutMs);
    try {
      conn.send(job.slave, job.request, (err, reply) => (err ? this.failed(inflight, err) : this.answered(inflight, reply)));
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      queueMicrotask(() => this.failed(inflight, error));
    }
  }

  /**
   * Sends the next job once the current call stack has unwound: an answer arrives inside the
   * library's receive handler, which must finish with one transaction before the next is sent
   * (modbus-serial's RTU framing over TCP resets its read state after the callback).
   */
  private readonly pump = (): void => this.next();

  private answered(inflight: Inflight, reply: ModbusReply): void {
    // Too late: the watchdog or a dropped link has ended this attempt already.
    if (this.inflight !== inflight) return;
    this.inflight = undefined;
    this.lastEndAt = performance.now();
    this.stats.lastRoundTripMs = Math.round((this.lastEndAt - inflight.started) * 10) / 10;
    this.answeredOnConnection = true;
    inflight.job.resolve(reply);
    queueMicrotask(this.pump);
  }

  private failed(inflight: Inflight, err: Error): void {
    if (this.inflight !== inflight) return;
    this.inflight = undefined;
    const { job, attempt, conn } = inflight;
    const { timeoutMs, retries, retryIntervalMs } = this.options;
    this.lastEndAt = performance.now();
    this.stats.errors++;
    if (err instanceof ModbusExceptionError) {
      this.stats.lastRoundTripMs = Math.round((this.lastEndAt - inflight.started) * 10) / 10;
      this.answeredOnConnection = true;
      job.reject(err);
      queueMicrotask(this.pump);
      return;
    }
    if (err instanceof ModbusConnectionError) {
      job.reject(err);
      // The link is gone: whoever dropped it fails the queue first (with its reason).
      queueMicrotask(this.pump);
      return;
    }
    const timedOut = err instanceof ModbusTimeoutError;
    if (timedOut) {
      this.stats.timeouts++;
      conn.discardInput();
    }
    if (attempt >= retries) {
      job.reject(timedOut ? new ModbusTimeoutError(job.slave, timeoutMs) : err);
      queueMicrotask(this.pump);
      return;
    }
    if (retryIntervalMs > 0) void this.quietly(retryIntervalMs).then(() => this.attempt(job, attempt + 1));
    else this.attempt(job, attempt + 1);
  }

  /** Sleeps, cut short by stop() (the request then finds no connection). */
  private quietly(ms: number): Promise<void> {
    return sleep(ms, this.abort.signal).catch(() => undefined);
  }

  /**
   * Fails the attempt on the wire once its deadline has passed (the connection's own answer, if
   * it comes later, is then ignored).
   */
  private readonly watch = (): void => {
    this.watchdog = undefined;
    const inflight = this.inflight;
    if (!inflight) return;
    const left = inflight.deadline - performance.now();
    // Timers run on whole milliseconds: less than one left is due.
    if (left < 1) {
      this.failed(inflight, new ModbusTimeoutError(inflight.job.slave, this.options.timeoutMs));
      return;
    }
    this.watchdog = setTimeout(this.watch, left);
  };

  private failInflight(err: Error): void {
    if (this.inflight) this.failed(this.inflight, err);
  }

  private async run(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      this.status = 'connecting';
      let conn: ModbusConnection;
      try {
        conn = await this.options.connect();
      } catch (err) {
        if (signal.aborted) return;
        this.connError = errorMessage(err);
        this.status = 'error';
        failures++;
        const log = failures === 1 ? this.options.log.warn.bind(this.options.log) : this.options.log.debug.bind(this.options.log);
        log({ target: this.options.target, err: this.connError, failures }, 'Modbus connection failed');
        await this.pause(signal);
        continue;
      }
      if (signal.aborted) {
        await conn.close().catch(() => undefined);
        return;
      }
      failures = 0;
      let onAbort: () => void = () => undefined;
      const lost = new Promise<string>((resolve) => {
        conn.onClose(resolve);
        onAbort = () => resolve('stopped');
        signal.addEventListener('abort', onAbort, { once: true });
      });
      this.conn = conn;
      this.connError = null;
      this.answeredOnConnection = false;
      this.status = 'connected';
      const connectedAt = Date.now();
      this.options.log.info({ target: this.options.target }, 'Modbus connected');
      for (const w of this.waiters.splice(0)) {
        clearTimeout(w.timer);
        w.resolve();
      }
      const reason = await lost;
      signal.removeEventListener('abort', onAbort);
      if (signal.aborted) return;
      this.conn = undefined;
      this.connError = reason;
      this.status = 'disconnected';
      this.failInflight(new ModbusConnectionError(`${this.options.target}: ${reason}`));
      for (const job of this.queue.splice(0)) job.reject(new ModbusConnectionError(`${this.options.target}: ${reason}`));
      this.options.log.warn({ target: this.options.target, reason }, 'Modbus connection lost; reconnecting');
      if (this.answeredOnConnection || Date.now() - connectedAt >= HEALTHY_CONNECTION_MS) this.backoff.reset();
      await this.pause(signal);
    }
  }

  private async pause(signal: AbortSignal): Promise<void> {
    const delay = this.backoff.next();
    this.nextAttemptAt = Date.now() + delay;
    await sleep(delay, signal).catch(() => undefined);
  }
}
