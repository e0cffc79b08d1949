import type { LinkState, TagValue, WireError } from '@edgefleet/protocol';

/**
 * The part of a northbound sink that differs per kind: getting messages to the broker or cloud,
 * and writes back from it. The shared pipeline (subscribe → report by exception → format →
 * durable buffer) hands a transport formatted messages from the buffer, in order, and acks each
 * one to the buffer once `send` resolves; a transport never buffers on its own.
 */
export interface SinkTransport {
  /** Begins connecting in the background and reconnects by itself; never waits for the peer. */
  start(): void;
  /** Disconnects cleanly (an MQTT DISCONNECT, so no last will is published) and stops reconnecting. */
  stop(): Promise<void>;
  link(): LinkState;
  /** Why the link is not up (or the last send failed); null when all is well. Never holds a secret. */
  lastError(): string | null;
  /** Called on every change of `link()`; the pipeline drains the buffer after a (re)connect. */
  onLinkChange(listener: (link: LinkState) => void): void;
  /**
   * Sends one message. Resolves when the peer has it: for QoS 1 when the broker acknowledged it
   * (PUBACK), for QoS 0 once it is written to the connection. Rejects when the link is down or
   * the peer refused it; the pipeline then keeps the message and sends it again later.
   */
  send(message: OutboundMessage): Promise<void>;
  /** Writes that arrive from the cloud go to this handler, and its outcome is answered to the sender. */
  onWrite?(handler: WriteHandler): void;
}

/** One formatted message, as the buffer keeps it. */
export interface OutboundMessage {
  /** The topic, already rendered (for Azure IoT Hub, which has no topics: `{device}/{group}`). */
  topic: string;
  payload: Buffer;
  /**
   * The message's sequence number, given by the pipeline when the message is submitted and kept
   * with it in the durable buffer: strictly increasing per sink and never reused, so a message
   * sent again (its first send reached the peer but the acknowledgement did not come back, or
   * the agent died before it) carries the same seq and a consumer can drop the duplicate. MQTT 5
   * and AWS IoT Core carry it as the user property `seq`, Azure IoT Hub as the message id;
   * MQTT 3.1.1 has nowhere to put it.
   */
  seq?: number;
}

/** A write that arrived from the cloud: a tag of a device (the group is optional, the tag name is unique in the device's groups it names). */
export interface WriteRequest {
  device: string;
  group?: string;
  tag: string;
  /** In engineering units (as published): the agent unscales it. */
  value: TagValue;
}

export type WriteOutcome = { ok: true } | { ok: false; error: WireError };

/** Carries out a write on the device (the agent's command path: checks access, unscales, writes). */
export type WriteHandler = (request: WriteRequest) => Promise<WriteOutcome>;
