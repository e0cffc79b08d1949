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
   * Set on a message drained from the durable buffer: its sequence number, strictly increasing
   * per sink and never reused, so a message sent again after a crash can be told apart (Azure
   * uses it as the message id). A message sent straight, never buffered, has none.
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
