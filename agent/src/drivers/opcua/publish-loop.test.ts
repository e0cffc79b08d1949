import { describe, expect, it } from 'vitest';
import type { NotificationMessage, PublishResponse } from 'node-opcua-client';
import type { OpcUaConnection } from './connection.js';
import type { OpcUa } from './opcua-lib.js';
import { PublishLoop } from './publish-loop.js';
import { Status } from './status-codes.js';

interface SentRequest {
  acks: { subscriptionId: number; sequenceNumber: number }[];
  timeoutHint: number;
  answer(err: Error | null, response?: Partial<PublishResponse>): void;
}

/** Just what the loop uses of node-opcua: PublishRequest. */
const ua = {
  PublishRequest: class {
    constructor(readonly options: { requestHeader: { timeoutHint: number }; subscriptionAcknowledgements: SentRequest['acks'] }) {}
  },
} as unknown as OpcUa;

function fakeConnection() {
  const sent: SentRequest[] = [];
  const conn = {
    isLost: false,
    session: {
      publish(request: { options: { requestHeader: { timeoutHint: number }; subscriptionAcknowledgements: SentRequest['acks'] } }, cb: (err: Error | null, res?: PublishResponse) => void) {
        sent.push({
          acks: request.options.subscriptionAcknowledgements,
          timeoutHint: request.options.requestHeader.timeoutHint,
          answer: (err, response) => cb(err, response as PublishResponse | undefined),
        });
      },
    },
  };
  return { sent, conn: conn as unknown as OpcUaConnection };
}

function message(sequenceNumber: number, items: number): NotificationMessage {
  const monitoredItems = Array.from({ length: items }, (_, i) => ({ clientHandle: i }));
  return { sequenceNumber, publishTime: new Date(), notificationData: items > 0 ? [{ monitoredItems }] : [] } as unknown as NotificationMessage;
}

function response(subscriptionId: number, msg: NotificationMessage, moreNotifications = false): Partial<PublishResponse> {
  return { subscriptionId, notificationMessage: msg, moreNotifications } as Partial<PublishResponse>;
}

describe('publish loop', () => {
  it('keeps requests in flight and acknowledges each message in the next request', () => {
    const { sent, conn } = fakeConnection();
    const got: [number, number][] = [];
    const loop = new PublishLoop(ua, conn, { onMessage: (id, m) => got.push([id, m.sequenceNumber]) }, () => undefined, 5000);
    loop.configure(1, 10, 5000);
    loop.start();
    expect(sent).toHaveLength(3);
    // A request may wait for every request ahead of it to be answered by a keep-alive.
    expect(sent[0]!.timeoutHint).toBe(5000 * 4 + 5000);
    sent[0]!.answer(null, response(7, message(1, 2)));
    expect(got).toEqual([[7, 1]]);
    expect(sent).toHaveLength(4);
    expect(sent[3]!.acks).toEqual([{ subscriptionId: 7, sequenceNumber: 1 }]);
    // Keep-alives are handed over (they prove the subscription alive) but not acknowledged.
    sent[1]!.answer(null, response(7, message(2, 0)));
    expect(got).toEqual([[7, 1], [7, 2]]);
    expect(sent[4]!.acks).toEqual([]);
    expect(loop.stats).toMatchObject({ publishResponses: 2, keepAlives: 1 });
  });

  it('sizes itself by the messages a publishing interval fills, learning the server’s cap', () => {
    const { sent, conn } = fakeConnection();
    const loop = new PublishLoop(ua, conn, { onMessage: () => undefined }, () => undefined, 5000);
    loop.configure(1, 10_000, 5000);
    expect(loop.target).toBe(10);
    loop.start();
    expect(sent).toHaveLength(10);
    // A full message with more to come: this server sends 500 per message.
    sent[0]!.answer(null, response(1, message(1, 500), true));
    expect(loop.target).toBe(20);
    expect(sent).toHaveLength(21);
    loop.configure(1, 1_000_000, 5000);
    expect(loop.target).toBe(32);
  });

  it('sends fewer when the server holds too many, and resends unacknowledged acks', () => {
    const { sent, conn } = fakeConnection();
    const loop = new PublishLoop(ua, conn, { onMessage: () => undefined }, () => undefined, 5000);
    loop.configure(5, 0, 1000);
    loop.start();
    expect(sent).toHaveLength(6);
    sent[0]!.answer(null, response(1, message(1, 1)));
    const withAck = sent[6]!;
    expect(withAck.acks).toHaveLength(1);
    withAck.answer(new Error('BadTooManyPublishRequests'), { responseHeader: { serviceResult: { value: Status.BadTooManyPublishRequests } } } as Partial<PublishResponse>);
    expect(loop.target).toBe(5);
    expect(sent).toHaveLength(7);
    // The acknowledgement that was refused goes out again.
    sent[1]!.answer(null, response(1, message(2, 0)));
    expect(sent[7]!.acks).toEqual([{ subscriptionId: 1, sequenceNumber: 1 }]);
  });

  it('goes idle without subscriptions and ends the connection when the session is gone', () => {
    const { sent, conn } = fakeConnection();
    const reasons: string[] = [];
    const loop = new PublishLoop(ua, conn, { onMessage: () => undefined }, (r) => reasons.push(r), 5000);
    loop.configure(1, 1, 5000);
    loop.start();
    sent[0]!.answer(new Error('x'), { responseHeader: { serviceResult: { value: Status.BadNoSubscription } } } as Partial<PublishResponse>);
    expect(sent).toHaveLength(3);
    loop.configure(1, 1, 5000);
    expect(sent).toHaveLength(4);
    sent[1]!.answer(new Error('ServiceResult is BadSessionIdInvalid'), undefined);
    expect(reasons).toEqual(['the server no longer knows the session (BadSessionIdInvalid (0x80250000))']);
    // Nothing more is sent on a dead session.
    sent[2]!.answer(null, response(1, message(3, 1)));
    expect(sent).toHaveLength(4);
  });
});
