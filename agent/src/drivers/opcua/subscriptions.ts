import { isNumericTagType, TagErrorNumber, type Group, type OpcUaSettings } from '@edgefleet/protocol';
import type { MonitoredItemCreateRequestOptions, NotificationMessage, RepublishResponse, TransferSubscriptionsResponse } from 'node-opcua-client';
import type { Logger } from '../../log.js';
import type { GroupRead } from '../driver.js';
import type { OpcUaConnection } from './connection.js';
import { NotificationBatcher, type Deliver, type MonitoredItemNotificationLike } from './notification-batcher.js';
import type { OpcUa } from './opcua-lib.js';
import { PublishLoop } from './publish-loop.js';
import { describeStatus, Status, statusCodeOf } from './status-codes.js';
import { withTimeout } from './with-timeout.js';

/** What the subscription parameters aim for (OPC 10000-4 §5.13.2). */
const KEEP_ALIVE_TARGET_MS = 5000;
/** Changes a monitored item keeps while a publish is delayed: covers this long a delay. */
const QUEUE_COVERS_MS = 2000;
const MAX_QUEUE_SIZE = 100;
const FILTER_REFUSED = new Set<number>([Status.BadMonitoredItemFilterUnsupported, Status.BadFilterNotAllowed, Status.BadDeadbandFilterInvalid]);

/** Publishing parameters for a group: publishing interval = sampling interval = the group's. */
export function subscriptionParameters(intervalMs: number, sessionTimeoutMs: number) {
  const keepAliveCount = Math.max(1, Math.ceil(KEEP_ALIVE_TARGET_MS / intervalMs));
  return {
    requestedPublishingInterval: intervalMs,
    requestedMaxKeepAliveCount: keepAliveCount,
    // Outlives a session timeout, so after a network break the subscription is still there to transfer.
    requestedLifetimeCount: Math.max(3 * keepAliveCount, Math.ceil(sessionTimeoutMs / intervalMs)),
    queueSize: Math.min(MAX_QUEUE_SIZE, Math.max(2, Math.ceil(QUEUE_COVERS_MS / intervalMs) + 1)),
  };
}

/** `a` comes after `b` in the 32-bit wrapping sequence-number space (OPC 10000-4 §7.38). */
export function sequenceAfter(a: number, b: number): boolean {
  const d = (a - b) >>> 0;
  return d !== 0 && d < 0x8000_0000;
}

interface GroupSubscription {
  group: Group;
  batcher: NotificationBatcher;
  /** Its id on the server; kept across a lost connection so it can be transferred. */
  subscriptionId: number | undefined;
  /** Last NotificationMessage delivered: where a Republish after a transfer resumes. */
  lastSequence: number;
  monitoredItems: number;
  failedItems: number;
  keepAliveMs: number;
  lastMessageAt: number;
  creating: boolean;
  nextAttemptAt: number;
  attempts: number;
}

export interface SubscriptionStats {
  subscriptions: number;
  monitoredItems: number;
  failedItems: number;
  notificationsReceived: number;
  deliveries: number;
  publishResponses: number;
  keepAlives: number;
  transferred: number;
  recreated: number;
  republished: number;
  lostMessages: number;
  sequenceGaps: number;
  /** Publish requests the loop keeps waiting at the server now. */
  publishRequestsInFlight: number;
}

export interface SubscriptionManagerOptions {
  ua: OpcUa;
  settings: OpcUaSettings;
  log: Logger;
  /** Reads a group once (after messages were lost during a transfer, to deliver the current state). */
  readGroup(conn: OpcUaConnection, group: Group): Promise<GroupRead>;
}

/**
 * One OPC UA subscription per subscribed group, kept alive across connections: after a new
 * session comes up the subscriptions of the old one are transferred (TransferSubscriptions, then
 * Republish of what was sent but not acknowledged), and those that cannot be — the server
 * restarted, or refused — are created again with all their monitored items. A subscription that
 * goes silent beyond its keep-alive, or that the server reports timed out, is recreated too.
 */
export class SubscriptionManager {
  private readonly subs = new Map<string, GroupSubscription>();
  private readonly byId = new Map<number, GroupSubscription>();
  private conn: OpcUaConnection | undefined;
  private loop: PublishLoop | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Server start time of the session the subscription ids belong to: a restart invalidates them. */
  private idsServerStart: number | undefined;
  private readonly totals = { publishResponses: 0, keepAlives: 0, transferred: 0, recreated: 0, republished: 0, lostMessages: 0, sequenceGaps: 0 };
  lastError: string | null = null;

  constructor(private readonly opts: SubscriptionManagerOptions) {}

  /** Subscribes a group; created now when connected, else when the next session comes up. */
  async subscribe(group: Group, deliver: Deliver): Promise<void> {
    const previous = this.subs.get(group.name);
    if (previous) this.forget(previous, true);
    const log = this.opts.log;
    const safeDeliver: Deliver = (read, timestamp) => {
      try {
        deliver(read, timestamp);
      } catch (err) {
        log.warn({ group: group.name, err: err instanceof Error ? err.message : String(err) }, 'delivering OPC UA notifications failed');
      }
    };
    const sub: GroupSubscription = {
      group,
      batcher: new NotificationBatcher(group.tags, safeDeliver),
      subscriptionId: undefined,
      lastSequence: 0,
      monitoredItems: 0,
      failedItems: 0,
      keepAliveMs: KEEP_ALIVE_TARGET_MS,
      lastMessageAt: Date.now(),
      creating: false,
      nextAttemptAt: 0,
      attempts: 0,
    };
    this.subs.set(group.name, sub);
    const conn = this.conn;
    if (conn && !conn.isLost) await this.create(conn, sub);
  }

  /** Moves every subscription onto a new session and starts publishing. */
  async attach(conn: OpcUaConnection, serverStartTime: number | undefined): Promise<void> {
    this.conn = conn;
    this.loop = new PublishLoop(this.opts.ua, conn, { onMessage: (id, m) => this.onMessage(id, m) }, (reason) => conn.fail(reason), this.opts.settings.requestTimeoutMs);
    const sameServerRun = serverStartTime !== undefined && serverStartTime === this.idsServerStart;
    if (sameServerRun) await this.transferAll(conn);
    else this.forgetIds();
    this.idsServerStart = serverStartTime;
    for (const sub of this.subs.values()) {
      if (sub.subscriptionId === undefined && !conn.isLost) await this.create(conn, sub);
    }
    this.reconfigure();
    this.loop.start();
    this.timer = setInterval(() => this.tick(), 1000);
    this.timer.unref();
  }

  /** The connection is gone: stop publishing, keep the ids for a transfer. */
  detach(conn: OpcUaConnection): void {
    if (this.conn !== conn) return;
    this.stopLoop();
    this.conn = undefined;
  }

  stop(): void {
    this.stopLoop();
    this.conn = undefined;
  }

  private stopLoop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.loop) {
      this.loop.stop();
      this.totals.publishResponses += this.loop.stats.publishResponses;
      this.totals.keepAlives += this.loop.stats.keepAlives;
      this.loop = undefined;
    }
  }

  stats(): SubscriptionStats {
    let subscriptions = 0;
    let monitoredItems = 0;
    let failedItems = 0;
    let notificationsReceived = 0;
    let deliveries = 0;
    for (const s of this.subs.values()) {
      if (s.subscriptionId !== undefined && this.conn) subscriptions++;
      monitoredItems += s.subscriptionId !== undefined && this.conn ? s.monitoredItems : 0;
      failedItems += s.failedItems;
      notificationsReceived += s.batcher.notifications;
      deliveries += s.batcher.deliveries;
    }
    return {
      subscriptions,
      monitoredItems,
      failedItems,
      notificationsReceived,
      deliveries,
      publishResponses: this.totals.publishResponses + (this.loop?.stats.publishResponses ?? 0),
      keepAlives: this.totals.keepAlives + (this.loop?.stats.keepAlives ?? 0),
      transferred: this.totals.transferred,
      recreated: this.totals.recreated,
      republished: this.totals.republished,
      lostMessages: this.totals.lostMessages,
      sequenceGaps: this.totals.sequenceGaps,
      publishRequestsInFlight: this.loop?.target ?? 0,
    };
  }

  private forgetIds(): void {
    for (const sub of this.subs.values()) {
      if (sub.subscriptionId !== undefined) this.totals.recreated++;
      sub.subscriptionId = undefined;
      sub.lastSequence = 0;
    }
    this.byId.clear();
  }

  /** Drops a subscription; with `deleteOnServer`, also deletes it there (best effort). */
  private forget(sub: GroupSubscription, deleteOnServer: boolean): void {
    const id = sub.subscriptionId;
    if (id === undefined) return;
    this.byId.delete(id);
    sub.subscriptionId = undefined;
    sub.lastSequence = 0;
    const conn = this.conn;
    if (deleteOnServer && conn) this.deleteOnServer(conn, id);
    this.reconfigure();
  }

  private deleteOnServer(conn: OpcUaConnection, id: number): void {
    if (conn.isLost) return;
    const deleted = new Promise<unknown>((resolve, reject) => conn.session.deleteSubscriptions({ subscriptionIds: [id] }, (err, res) => (err ? reject(err) : resolve(res))));
    withTimeout(deleted, this.opts.settings.requestTimeoutMs, 'DeleteSubscriptions').catch((err: unknown) =>
      this.opts.log.debug({ subscriptionId: id, err: err instanceof Error ? err.message : String(err) }, 'could not delete an OPC UA subscription'),
    );
  }

  private async transferAll(conn: OpcUaConnection): Promise<void> {
    const { ua, settings, log } = this.opts;
    const candidates = [...this.subs.values()].filter((s) => s.subscriptionId !== undefined);
    if (candidates.length === 0) return;
    const ids = candidates.map((s) => s.subscriptionId!);
    let results: { statusCode: { value: number; isGood(): boolean }; availableSequenceNumbers: number[] | null }[] = [];
    try {
      const transferred = new Promise<TransferSubscriptionsResponse>((resolve, reject) =>
        conn.session.transferSubscriptions({ subscriptionIds: ids, sendInitialValues: false }, (err, res) => (err || !res ? reject(err ?? new Error('no response')) : resolve(res))),
      );
      const response = await withTimeout(transferred, settings.requestTimeoutMs, 'TransferSubscriptions');
      results = response.results ?? [];
    } catch (err) {
      log.debug({ err: err instanceof Error ? err.message : String(err) }, 'OPC UA subscriptions cannot be transferred; creating them again');
    }
    for (let i = 0; i < candidates.length; i++) {
      const sub = candidates[i]!;
      const result = results[i];
      if (!result || !result.statusCode.isGood()) {
        log.debug({ group: sub.group.name, status: result ? describeStatus(result.statusCode.value) : 'no result' }, 'OPC UA subscription not transferred; creating it again');
        this.byId.delete(sub.subscriptionId!);
        sub.subscriptionId = undefined;
        sub.lastSequence = 0;
        this.totals.recreated++;
        continue;
      }
      this.totals.transferred++;
      sub.lastMessageAt = Date.now();
      await this.recoverMissed(conn, sub, result.availableSequenceNumbers ?? [], ua);
    }
  }

  /**
   * After a transfer the server still holds the messages it sent but never saw acknowledged:
   * those after the last one delivered are fetched with Republish, in order, and delivered; the
   * others are acknowledged. A message the server no longer has means changes were lost: the
   * group is read once so consumers at least get the current state.
   */
  private async recoverMissed(conn: OpcUaConnection, sub: GroupSubscription, available: number[], ua: OpcUa): Promise<void> {
    const id = sub.subscriptionId!;
    const loop = this.loop!;
    const missing = available.filter((n) => sub.lastSequence === 0 || sequenceAfter(n, sub.lastSequence)).sort((a, b) => (sequenceAfter(a, b) ? 1 : -1));
    for (const n of available) if (!missing.includes(n)) loop.acknowledge(id, n);
    let lost = false;
    for (const n of missing) {
      try {
        const response = await withTimeout(
          new Promise<RepublishResponse>((resolve, reject) =>
            conn.session.republish(new ua.RepublishRequest({ subscriptionId: id, retransmitSequenceNumber: n }), (err, res) => (err || !res ? reject(err ?? new Error('no response')) : resolve(res))),
          ),
          this.opts.settings.requestTimeoutMs,
          'Republish',
        );
        this.totals.republished++;
        loop.acknowledge(id, n);
        sub.lastSequence = n;
        this.dispatch(sub, response.notificationMessage);
      } catch {
        lost = true;
        this.totals.lostMessages++;
      }
    }
    if (lost && !conn.isLost) await this.resync(conn, sub);
  }

  private async resync(conn: OpcUaConnection, sub: GroupSubscription): Promise<void> {
    try {
      const read = await this.opts.readGroup(conn, sub.group);
      sub.batcher.deliverRead(read);
    } catch (err) {
      this.opts.log.debug({ group: sub.group.name, err: err instanceof Error ? err.message : String(err) }, 'reading a group after lost notifications failed');
    }
  }

  private async create(conn: OpcUaConnection, sub: GroupSubscription): Promise<void> {
    if (sub.creating) return;
    sub.creating = true;
    sub.attempts++;
    const { ua, settings, log } = this.opts;
    const group = sub.group;
    const timeout = settings.requestTimeoutMs;
    try {
      const params = subscriptionParameters(group.intervalMs, settings.sessionTimeoutMs);
      const created = await withTimeout(
        conn.session.createSubscription({
          requestedPublishingInterval: params.requestedPublishingInterval,
          requestedLifetimeCount: params.requestedLifetimeCount,
          requestedMaxKeepAliveCount: params.requestedMaxKeepAliveCount,
          maxNotificationsPerPublish: 0,
          publishingEnabled: true,
          priority: 0,
        }),
        timeout,
        'CreateSubscription',
      );
      if (conn.isLost) return;
      if (this.subs.get(group.name) !== sub) {
        // Subscribed again meanwhile: this one is not wanted any more.
        this.deleteOnServer(conn, created.subscriptionId);
        return;
      }
      const subscriptionId = created.subscriptionId;
      sub.subscriptionId = subscriptionId;
      sub.lastSequence = 0;
      sub.monitoredItems = 0;
      sub.keepAliveMs = created.revisedPublishingInterval * created.revisedMaxKeepAliveCount;
      sub.lastMessageAt = Date.now();
      this.byId.set(subscriptionId, sub);
      this.reconfigure();

      const errors = new Map<number, number>();
      const requests: { index: number; request: MonitoredItemCreateRequestOptions; filtered: boolean }[] = [];
      group.tags.forEach((tag, index) => {
        const resolved = conn.resolve(tag.address);
        if (!resolved.ok) {
          errors.set(index, TagErrorNumber.READ_FAILURE);
          log.debug({ group: group.name, tag: tag.name, err: resolved.message }, 'OPC UA tag cannot be monitored');
          return;
        }
        const filtered = tag.deadbandAbs !== undefined && tag.deadbandAbs > 0 && isNumericTagType(tag.type);
        requests.push({
          index,
          filtered,
          request: {
            itemToMonitor: { nodeId: conn.nodeId(resolved.text), attributeId: ua.AttributeIds.Value },
            monitoringMode: ua.MonitoringMode.Reporting,
            requestedParameters: {
              clientHandle: index,
              samplingInterval: group.intervalMs,
              queueSize: params.queueSize,
              discardOldest: true,
              filter: filtered
                ? new ua.DataChangeFilter({ trigger: ua.DataChangeTrigger.StatusValue, deadbandType: ua.DeadbandType.Absolute, deadbandValue: tag.deadbandAbs })
                : null,
            },
          },
        });
      });

      let ok = 0;
      const retryUnfiltered: typeof requests = [];
      const perCall = Math.min(conn.limits.maxMonitoredItemsPerCall || Infinity, 2000);
      const createItems = async (batch: typeof requests, onRefused: (r: (typeof requests)[number], status: number) => void) => {
        for (let start = 0; start < batch.length; start += perCall) {
          const chunk = batch.slice(start, start + perCall);
          const response = await withTimeout(
            conn.session.createMonitoredItems({ subscriptionId, timestampsToReturn: ua.TimestampsToReturn.Both, itemsToCreate: chunk.map((c) => c.request) }),
            timeout,
            'CreateMonitoredItems',
          );
          const results = response.results ?? [];
          chunk.forEach((c, i) => {
            const status = results[i]?.statusCode.value ?? Status.BadNothingToDo;
            if ((status & 0x8000_0000) === 0) ok++;
            else onRefused(c, status);
          });
        }
      };
      await createItems(requests, (c, status) => {
        if (c.filtered && FILTER_REFUSED.has(statusCodeOf(status))) {
          retryUnfiltered.push({ ...c, filtered: false, request: { ...c.request, requestedParameters: { ...c.request.requestedParameters, filter: null } } });
          return;
        }
        const tag = group.tags[c.index]!;
        errors.set(c.index, TagErrorNumber.READ_FAILURE);
        log.debug({ group: group.name, tag: tag.name, status: describeStatus(status) }, 'OPC UA monitored item refused');
      });
      if (retryUnfiltered.length > 0) {
        log.warn({ group: group.name, tags: retryUnfiltered.map((c) => group.tags[c.index]!.name) }, 'the server refused the deadband of these tags; they are monitored without it');
        await createItems(retryUnfiltered, (c, status) => {
          const tag = group.tags[c.index]!;
          errors.set(c.index, TagErrorNumber.READ_FAILURE);
          log.debug({ group: group.name, tag: tag.name, status: describeStatus(status) }, 'OPC UA monitored item refused');
        });
      }
      sub.monitoredItems = ok;
      sub.failedItems = errors.size;
      this.reconfigure();
      sub.attempts = 0;
      this.lastError = null;
      sub.batcher.deliverErrors(errors);
    } catch (err) {
      const message = `subscribing group '${group.name}' failed: ${err instanceof Error ? err.message : String(err)}`;
      this.lastError = message;
      sub.nextAttemptAt = Date.now() + Math.min(settings.reconnectMaxMs, settings.reconnectMinMs * 2 ** Math.min(sub.attempts, 10));
      log.warn({ group: group.name, err: message }, 'OPC UA subscription failed; retrying');
      // A half-made subscription is dropped and made again whole.
      if (sub.subscriptionId !== undefined) this.forget(sub, true);
    } finally {
      sub.creating = false;
    }
  }

  private reconfigure(): void {
    let count = 0;
    let items = 0;
    let longest = 0;
    for (const s of this.byId.values()) {
      count++;
      items += s.monitoredItems;
      longest = Math.max(longest, s.keepAliveMs);
    }
    this.loop?.configure(count, items, longest);
  }

  private tick(): void {
    const conn = this.conn;
    if (!conn || conn.isLost) return;
    const now = Date.now();
    for (const sub of this.subs.values()) {
      if (sub.creating) continue;
      if (sub.subscriptionId === undefined) {
        if (now >= sub.nextAttemptAt) void this.create(conn, sub);
        continue;
      }
      // Keep-alives come every keepAliveMs at the latest: twice that plus a request's time of
      // silence means the server dropped the subscription without saying so.
      const silentFor = now - sub.lastMessageAt;
      if (silentFor > 2 * sub.keepAliveMs + this.opts.settings.requestTimeoutMs) {
        this.opts.log.warn({ group: sub.group.name, silentMs: silentFor }, 'OPC UA subscription went silent; creating it again');
        this.totals.recreated++;
        this.forget(sub, true);
        void this.create(conn, sub);
      }
    }
  }

  private onMessage(subscriptionId: number, message: NotificationMessage): void {
    const sub = this.byId.get(subscriptionId);
    if (!sub) return;
    sub.lastMessageAt = Date.now();
    const data = message.notificationData;
    if (!data || data.length === 0) return;
    const seq = message.sequenceNumber;
    if (sub.lastSequence !== 0) {
      // An old or repeated message (already delivered through Republish): skip it.
      if (!sequenceAfter(seq, sub.lastSequence)) return;
      if (((seq - sub.lastSequence) >>> 0) !== 1 && !(sub.lastSequence === 0xffff_ffff && seq === 1)) this.totals.sequenceGaps++;
    }
    sub.lastSequence = seq;
    this.dispatch(sub, message);
  }

  private dispatch(sub: GroupSubscription, message: NotificationMessage): void {
    for (const n of message.notificationData ?? []) {
      if (!n) continue;
      const items = (n as unknown as { monitoredItems?: MonitoredItemNotificationLike[] | null }).monitoredItems;
      if (items) {
        sub.batcher.onDataChange(items, message.publishTime);
        continue;
      }
      const status = (n as unknown as { status?: { value: number } }).status;
      if (status) this.onStatusChange(sub, status.value);
    }
  }

  /**
   * BadTimeout: the server closed the subscription; it is created again. GoodSubscriptionTransferred
   * belongs to the session a subscription was taken from (OPC 10000-4 §5.13.7), but some servers
   * (node-opcua among them) let it reach the session that took it — ours, after a reconnection —
   * so it is not acted on: a subscription really taken by someone else goes silent, and the
   * silence check recreates it.
   */
  private onStatusChange(sub: GroupSubscription, status: number): void {
    const code = statusCodeOf(status);
    if (code !== Status.BadTimeout) {
      this.opts.log.debug({ group: sub.group.name, status: describeStatus(status) }, 'OPC UA subscription status change');
      return;
    }
    this.opts.log.warn({ group: sub.group.name, status: describeStatus(status) }, 'the server ended an OPC UA subscription; creating it again');
    this.totals.recreated++;
    this.forget(sub, false);
    sub.nextAttemptAt = 0;
  }
}
