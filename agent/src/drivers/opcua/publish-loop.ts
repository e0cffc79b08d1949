import type { NotificationMessage, PublishResponse } from 'node-opcua-client';
import type { OpcUaConnection } from './connection.js';
import type { OpcUa } from './opcua-lib.js';
import { describeStatus, Status, statusCodeOf } from './status-codes.js';

export interface PublishHandler {
  /** A NotificationMessage with data, or a keep-alive (no notificationData) of a subscription. */
  onMessage(subscriptionId: number, message: NotificationMessage): void;
}

export interface PublishLoopStats {
  publishResponses: number;
  keepAlives: number;
  publishErrors: number;
}

interface Ack {
  subscriptionId: number;
  sequenceNumber: number;
}

const STATUS_IN_MESSAGE = /\b(Bad[A-Za-z]+)\b/;
const MIN_IN_FLIGHT = 3;
const MAX_IN_FLIGHT = 32;
/** What node-opcua and most servers put in one NotificationMessage at most, until a server shows its own cap. */
const ASSUMED_PER_MESSAGE = 1000;

/** The status a failed Publish came back with: from the response, else named in the error. */
function statusOf(err: Error, response: PublishResponse | undefined): number | undefined {
  const code = response?.responseHeader?.serviceResult?.value;
  if (code !== undefined && code !== 0) return statusCodeOf(code);
  const name = STATUS_IN_MESSAGE.exec(err.message)?.[1];
  return name && name in Status ? Status[name as keyof typeof Status] : undefined;
}

/**
 * The Publish loop of one session (OPC 10000-4 §5.13.5): keeps a few Publish requests waiting at
 * the server so notifications flow without a round trip of delay, acknowledges every
 * NotificationMessage in the next request, and hands each message to the subscriptions.
 *
 * node-opcua's own publish engine is not used: it dispatches to one JavaScript object per
 * monitored item; here a message goes to its subscription's batcher as a whole.
 */
export class PublishLoop {
  readonly stats: PublishLoopStats = { publishResponses: 0, keepAlives: 0, publishErrors: 0 };
  private outstanding = 0;
  private running = false;
  private acks: Ack[] = [];
  private subscriptions = 0;
  private monitoredItems = 0;
  /** The server's cap on notifications per message, learnt from messages that say there are more. */
  private perMessage = ASSUMED_PER_MESSAGE;
  /** Lowered when the server says it holds too many (BadTooManyPublishRequests). */
  private ceiling = MAX_IN_FLIGHT;
  private longestKeepAliveMs = 0;
  private idle = false;

  constructor(
    private readonly ua: OpcUa,
    private readonly conn: OpcUaConnection,
    private readonly handler: PublishHandler,
    private readonly onSessionInvalid: (reason: string) => void,
    private readonly requestTimeoutMs: number,
  ) {}

  /**
   * Sizes the loop for what it serves. A server answers one Publish request with one
   * NotificationMessage of bounded size (node-opcua: 1,000 notifications) and, when it has more
   * than the requests waiting can carry, keeps the rest for its next publishing cycle: changes
   * queue up and throughput collapses (measured with 10,000 items changing every 100 ms: 3
   * requests carried 7k notifications/s, 10 carried 25k/s). So one request per message that a
   * publishing interval of every item can fill, one per subscription plus one, at least 3.
   * Beyond that, more requests bought no throughput from a saturated server but cost CPU
   * (+50 % per notification with 32) and memory: responses arriving in bursts outlive the
   * young generation of the garbage collector.
   */
  configure(subscriptions: number, monitoredItems: number, longestKeepAliveMs: number): void {
    this.subscriptions = subscriptions;
    this.monitoredItems = monitoredItems;
    this.longestKeepAliveMs = longestKeepAliveMs;
    this.idle = subscriptions === 0;
    if (this.running) this.fill();
  }

  get target(): number {
    const wanted = Math.max(MIN_IN_FLIGHT, this.subscriptions + 1, Math.ceil(this.monitoredItems / this.perMessage));
    return Math.min(this.ceiling, wanted);
  }

  /**
   * A request waits at the server until a subscription has something to send; with many in
   * flight the last may wait several keep-alive periods, so it is given that long.
   */
  private timeoutHint(): number {
    return Math.min(600_000, Math.max(this.requestTimeoutMs, this.longestKeepAliveMs * (this.target + 1) + this.requestTimeoutMs));
  }

  /** Acknowledges messages received another way (Republish after a transfer). */
  acknowledge(subscriptionId: number, sequenceNumber: number): void {
    this.acks.push({ subscriptionId, sequenceNumber });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.fill();
  }

  stop(): void {
    this.running = false;
  }

  private fill(): void {
    const target = this.target;
    while (this.running && !this.idle && this.outstanding < target && !this.conn.isLost) this.send();
  }

  private send(): void {
    let session;
    try {
      session = this.conn.session;
    } catch {
      this.running = false;
      return;
    }
    const acks = this.acks;
    this.acks = [];
    this.outstanding++;
    const request = new this.ua.PublishRequest({ requestHeader: { timeoutHint: this.timeoutHint() }, subscriptionAcknowledgements: acks });
    session.publish(request, (err, response) => {
      this.outstanding--;
      if (err) this.onError(err, response, acks);
      else if (response) this.onResponse(response);
      this.fill();
    });
  }

  private onResponse(response: PublishResponse): void {
    this.stats.publishResponses++;
    if (!this.running) return;
    const message = response.notificationMessage;
    const data = message.notificationData;
    if (response.moreNotifications && data) this.learnCap(data);
    if (data && data.length > 0) this.acks.push({ subscriptionId: response.subscriptionId, sequenceNumber: message.sequenceNumber });
    else this.stats.keepAlives++;
    this.handler.onMessage(response.subscriptionId, message);
  }

  /** A full message (the server had more) shows how many notifications the server puts in one. */
  private learnCap(data: NonNullable<NotificationMessage['notificationData']>): void {
    let n = 0;
    for (const d of data) n += (d as unknown as { monitoredItems?: unknown[] | null } | null)?.monitoredItems?.length ?? 0;
    if (n > 0 && n < this.perMessage) this.perMessage = n;
  }

  private onError(err: Error, response: PublishResponse | undefined, acks: Ack[]): void {
    this.stats.publishErrors++;
    if (!this.running) return;
    // The acknowledgements did not reach the server (or were not processed): send them again.
    if (acks.length > 0) this.acks.unshift(...acks);
    const status = statusOf(err, response);
    switch (status) {
      case Status.BadNoSubscription:
        // Nothing to publish yet; configure() restarts the loop once a subscription exists.
        this.idle = true;
        return;
      case Status.BadTooManyPublishRequests:
        // The server keeps what it holds now: ask for no more than that.
        this.ceiling = Math.max(1, this.outstanding);
        return;
      case Status.BadTimeout:
        return;
      case Status.BadSessionIdInvalid:
      case Status.BadSessionClosed:
      case Status.BadSessionNotActivated:
      case Status.BadSecureChannelIdInvalid:
        this.running = false;
        this.onSessionInvalid(`the server no longer knows the session (${describeStatus(status)})`);
        return;
      default:
        // A broken channel fails every request at once; stop and leave it to the connection.
        if (this.conn.isLost) this.running = false;
        else if (/BadConnectionClosed|Invalid Channel|closed/i.test(err.message)) {
          this.running = false;
          this.onSessionInvalid(`Publish failed: ${err.message.trim()}`);
        }
    }
  }
}
