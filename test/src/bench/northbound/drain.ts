import { mkdtemp } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { round } from '../stats.js';
import { startChild } from '../southbound/children.js';
import type { LocalBroker } from './broker.js';
import type { PublishResult } from './publish-worker.js';
import { AGENT_ID, timestampOf } from './load.js';
import { MemorySampler } from './memory.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const MiB = 1024 * 1024;

/**
 * `online`: the consumer takes the messages as they come, on the same two cores as the sink and
 * the broker, and the drain is timed until it has the last one. `offline`: the consumer's
 * persistent session is away during the drain, so the broker queues for it; the drain is timed
 * until the broker acknowledged the last message (sink → broker alone), and the consumer then
 * connects and checks that every message is there, in order.
 */
export type ConsumerMode = 'online' | 'offline';

export interface DrainOptions {
  consumer: ConsumerMode;
  broker: LocalBroker;
  messages: number;
  tags: number;
  durability: 'batch' | 'interval';
  dir: string;
  timeoutSeconds: number;
  cpuProfDir?: string;
  log: (line: string) => void;
}

export interface DrainResult {
  durability: string;
  consumerMode: ConsumerMode;
  messages: number;
  messageBytes: number;
  fill: { seconds: number; messagesPerSecond: number; megabytesPerSecond: number; cpuMicrosPerMessage: number; bufferBytes: number; dropped: number };
  /** From the sink's reconnect until its buffer was empty (every message acknowledged by the broker). */
  sinkSeconds: number | null;
  /** From the sink's reconnect until the consumer had received the last message. */
  consumerSeconds: number | null;
  /** Messages ÷ the later of the two: the drain rate. */
  messagesPerSecond: number | null;
  megabytesPerSecond: number | null;
  /** The raw loop's rate to the same consumer, measured just before (see `runRawDrainReference`). */
  reference: RawDrainReference;
  ratioToReference: number | null;
  /** The sink process's CPU over the drain, % of one core and per message. */
  cpuPercent: number | null;
  cpuMicrosPerMessage: number | null;
  /** Mosquitto's and the consumer's (the bench process's) CPU from the sink's reconnect to the end, % of one core. */
  brokerCpuPercent: number;
  consumerCpuPercent: number;
  consumer: { received: number; inOrder: boolean; duplicates: number; missing: number; outOfOrder: number };
  sink: { published: number; errors: number; dropped: number; left: number; lastError: string | null };
  /**
   * The sink's process: RSS every 100 ms from its reconnect to the end of the drain, with
   * the most private memory (`RssAnon`) and mapped file pages (`RssFile`, the buffer's LMDB file
   * as the drain reads it) seen; its RSS after the fill, and its peak since it started.
   */
  rss: { medianMiB: number; maxMiB: number; anonMaxMiB: number; fileMaxMiB: number; afterFillMiB: number; peakMiB: number; samples: number };
}

interface Filled {
  seconds: number;
  cpuSeconds: number;
  messageBytes: number;
  depth: number;
  bytes: number;
  dropped: number;
  rssBytes: number;
}

interface Drained {
  /** As the child measured it (null: not empty before its timeout). */
  seconds: number | null;
  cpuSeconds: number;
  published: number;
  errors: number;
  dropped: number;
  left: number;
  lastError: string | null;
}

export interface RawDrainReference {
  consumerMode: ConsumerMode;
  messages: number;
  /** From the raw loop's first publish until the consumer had the last message. */
  seconds: number;
  messagesPerSecond: number;
  publisherCpuPercent: number;
  brokerCpuPercent: number;
  consumerCpuPercent: number;
}

/** Connects with `onMessage` attached before the CONNACK, so messages queued for a session are not missed. */
async function connectConsumer(url: string, options: mqtt.IClientOptions, onMessage: (payload: Buffer) => void): Promise<mqtt.MqttClient> {
  const client = mqtt.connect(url, { protocolVersion: 4, reconnectPeriod: 100, keepalive: 30, ...options });
  client.on('message', (_topic, payload) => onMessage(payload));
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  return client;
}

/** Drops a persistent session: a clean connect and a disconnect (the broker would queue the next section's messages for it). */
async function dropSession(url: string, clientId: string): Promise<void> {
  const client = await mqtt.connectAsync(url, { clientId, clean: true, protocolVersion: 4, reconnectPeriod: 0 }).catch(() => undefined);
  await client?.endAsync().catch(() => undefined);
}

/**
 * What the drain is measured against on this machine: a raw MQTT.js loop (publish-worker.js,
 * QoS 1, 100 in flight, pre-made payloads) sending the same number of messages to the same
 * broker, with the same consumer taking them, timed from its first publish until the consumer
 * has the last one. The broker and the consumer share the machine with the sender in both.
 */
export async function runRawDrainReference(opts: { consumer: ConsumerMode; broker: LocalBroker; messages: number; tags: number; log: (line: string) => void }): Promise<RawDrainReference> {
  const { broker, messages } = opts;
  const offline = opts.consumer === 'offline';
  const now = () => performance.now();
  const clientId = `edgefleet-bench-consumer-raw-${opts.consumer}-${process.pid}`;
  let received = 0;
  let lastAt = 0;
  let allReceived: () => void = () => undefined;
  const everything = new Promise<void>((resolve) => (allReceived = resolve));
  const onMessage = () => {
    if (++received !== messages) return;
    lastAt = now();
    allReceived();
  };
  let consumer = await connectConsumer(broker.url, { clientId, clean: !offline }, onMessage);
  await consumer.subscribeAsync(`ef/v1/${AGENT_ID}/data/#`, { qos: 1 });
  // Offline: the session stays, and the broker queues for it.
  if (offline) await consumer.endAsync();
  const args = [path.join(here, 'publish-worker.js'), '--mode', 'raw', '--url', broker.url, '--tags', String(opts.tags), '--count', String(messages)];
  const brokerCpu0 = await broker.cpuSeconds();
  const consumerCpu0 = process.cpuUsage();
  const t0 = now();
  const child = startChild('raw-reference', process.execPath, args, { keepStdin: false });
  try {
    // Timed on this process's clock: from the line the loop prints before its first publish.
    const startedAt = await child.waitForJson((m) => (m.event === 'started' ? now() : undefined), 60_000, 'the raw loop to start');
    const result = await child.waitForJson((m) => m.result as PublishResult | undefined, 300_000, 'the raw reference');
    const ackedAt = now();
    const busy = (now() - t0) / 1000;
    const consumerCpu = process.cpuUsage(consumerCpu0);
    const brokerCpuPercent = round((((await broker.cpuSeconds()) - brokerCpu0) / busy) * 100);
    if (offline) consumer = await connectConsumer(broker.url, { clientId, clean: false }, onMessage);
    await Promise.race([everything, new Promise((r) => setTimeout(r, 60_000).unref())]);
    if (received < messages) throw new Error(`the consumer got ${received} of ${messages} messages from the raw loop`);
    const seconds = ((offline ? ackedAt : Math.max(lastAt, ackedAt)) - startedAt) / 1000;
    const ref: RawDrainReference = {
      consumerMode: opts.consumer,
      messages,
      seconds: round(seconds, 2),
      messagesPerSecond: Math.round(messages / seconds),
      publisherCpuPercent: round((result.cpuSeconds / result.seconds) * 100),
      brokerCpuPercent,
      consumerCpuPercent: round(((consumerCpu.user + consumerCpu.system) / 1e6 / busy) * 100),
    };
    opts.log(`raw reference: ${messages.toLocaleString('en')} messages to the ${opts.consumer === 'offline' ? 'broker (consumer away)' : 'consumer'} in ${ref.seconds} s → ${ref.messagesPerSecond.toLocaleString('en')} msg/s; CPU: publisher ${ref.publisherCpuPercent}%, broker ${ref.brokerCpuPercent}%, consumer ${ref.consumerCpuPercent}%`);
    return ref;
  } finally {
    await child.stop();
    await consumer.endAsync().catch(() => undefined);
    if (offline) await dropSession(broker.url, clientId);
  }
}

/**
 * Section 3 (and 4): a backlog of `messages` in the MQTT sink's buffer, made while its broker is
 * down, drained to the broker once it is back; a consumer subscribed before the outage (QoS 1,
 * persistent session) must get every message, in order. The sink runs in a child process whose
 * RSS is sampled through the drain.
 */
export async function runDrain(opts: DrainOptions): Promise<DrainResult> {
  const { broker, messages } = opts;
  // The raw reference just before, so that both see the machine as busy as it is now.
  const reference = await runRawDrainReference(opts);
  const stateDir = await mkdtemp(path.join(opts.dir, `drain-${opts.durability}-`));
  // Every time on this process's clock (the child's events are timed by when their lines arrive).
  const now = () => performance.now();

  // The consumer: a persistent session, so what the sink sends before it is back waits for it.
  const offline = opts.consumer === 'offline';
  const clientId = `edgefleet-bench-consumer-${opts.durability}-${opts.consumer}-${process.pid}`;
  const got = { received: 0, duplicates: 0, missing: 0, outOfOrder: 0, first: Number.NaN, next: Number.NaN, lastAt: 0 };
  let allReceived: () => void = () => undefined;
  const everything = new Promise<void>((resolve) => (allReceived = resolve));
  const onMessage = (payload: Buffer): void => {
    const ts = timestampOf(payload);
    if (Number.isNaN(got.next)) got.first = got.next = ts;
    if (ts < got.next) {
      got.duplicates++;
      return;
    }
    if (ts > got.next) {
      got.outOfOrder++;
      got.missing += ts - got.next;
    }
    got.next = ts + 1;
    got.received++;
    if (got.received === messages) {
      got.lastAt = now();
      allReceived();
    }
  };
  let consumer = await connectConsumer(broker.url, { clientId, clean: false }, onMessage);
  const filter = `ef/v1/${AGENT_ID}/data/#`;
  await consumer.subscribeAsync(filter, { qos: 1 });
  // Offline: away (its session kept, through the broker's restart too) until the drain is over.
  if (offline) await consumer.endAsync();

  const nodeArgs = opts.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`, `--cpu-prof-name=drain-${opts.durability}-${Date.now()}.cpuprofile`] : [];
  const args = [...nodeArgs, path.join(here, 'drain-worker.js'), '--url', broker.url, '--state-dir', stateDir, '--messages', String(messages), '--tags', String(opts.tags), '--durability', opts.durability, '--timeout-s', String(opts.timeoutSeconds)];
  const child = startChild(`drain-${opts.durability}`, process.execPath, args);
  try {
    await child.waitForJson((m) => (m.event === 'connected' ? true : undefined), 30_000, 'the sink to connect');
    await broker.stop();
    await child.waitForJson((m) => (m.event === 'down' ? true : undefined), 30_000, 'the sink to see the broker gone');
    opts.log(`broker stopped; filling the sink's buffer with ${messages.toLocaleString('en')} messages (${opts.durability})`);
    const filled = await child.waitForJson((m) => (m.event === 'filled' ? (m as unknown as Filled) : undefined), 300_000, 'the buffer to fill');
    opts.log(`filled in ${round(filled.seconds, 2)} s: ${Math.round(messages / filled.seconds).toLocaleString('en')} msg/s through the sink into its buffer, ${round(filled.bytes / MiB)} MiB, ${filled.dropped} dropped`);

    const reconnected = child.waitForJson((m) => (m.event === 'reconnected' ? now() : undefined), opts.timeoutSeconds * 1000 + 60_000, 'the sink to reconnect');
    const drainedEvent = child.waitForJson((m) => (m.event === 'drained' ? { at: now(), drained: m as unknown as Drained } : undefined), opts.timeoutSeconds * 1000 + 60_000, 'the drain');
    // Awaited below; handled here too, so an earlier failure does not leave it rejecting unheard.
    drainedEvent.catch(() => undefined);
    await broker.start();
    opts.log('broker back; draining once the sink reconnects');
    const connectedAt = await reconnected;
    // From here to the end: the sink's memory, and who is busy (the broker; this process is the consumer).
    const sampler = new MemorySampler(child.pid, 100);
    await sampler.start();
    const brokerCpu0 = await broker.cpuSeconds();
    const consumerCpu0 = process.cpuUsage();
    const busySince = now();
    const { at: drainedAt, drained } = await drainedEvent;
    // Online, the consumer may still be catching up with what the broker already acknowledged.
    if (!offline) await Promise.race([everything, new Promise((r) => setTimeout(r, drained.seconds === null ? 1_000 : 30_000).unref())]);
    const window = await sampler.stop();
    const busySeconds = (now() - busySince) / 1000;
    const brokerCpuPercent = (((await broker.cpuSeconds()) - brokerCpu0) / busySeconds) * 100;
    const consumerCpu = process.cpuUsage(consumerCpu0);
    const consumerCpuPercent = ((consumerCpu.user + consumerCpu.system) / 1e6 / busySeconds) * 100;
    child.send('stop');
    if (offline) {
      // Now the consumer takes what the broker queued for it, to check it is all there, in order.
      consumer = await connectConsumer(broker.url, { clientId, clean: false }, onMessage);
      await Promise.race([everything, new Promise((r) => setTimeout(r, 60_000).unref())]);
    }

    const sinkSeconds = drained.seconds === null ? null : (drainedAt - connectedAt) / 1000;
    const consumerSeconds = got.lastAt ? (got.lastAt - connectedAt) / 1000 : null;
    const seconds = offline ? (got.received === messages ? sinkSeconds : null) : sinkSeconds === null || consumerSeconds === null ? null : Math.max(sinkSeconds, consumerSeconds);
    const rate = seconds === null ? null : messages / seconds;
    const result: DrainResult = {
      durability: opts.durability,
      consumerMode: opts.consumer,
      messages,
      messageBytes: filled.messageBytes,
      fill: {
        seconds: round(filled.seconds, 2),
        messagesPerSecond: Math.round(messages / filled.seconds),
        megabytesPerSecond: round((messages * filled.messageBytes) / filled.seconds / 1e6, 1),
        cpuMicrosPerMessage: round((filled.cpuSeconds * 1e6) / messages, 2),
        bufferBytes: filled.bytes,
        dropped: filled.dropped,
      },
      sinkSeconds: sinkSeconds === null ? null : round(sinkSeconds, 2),
      consumerSeconds: consumerSeconds === null ? null : round(consumerSeconds, 2),
      messagesPerSecond: rate === null ? null : Math.round(rate),
      megabytesPerSecond: rate === null ? null : round((rate * filled.messageBytes) / 1e6, 1),
      reference,
      ratioToReference: rate === null ? null : round(rate / reference.messagesPerSecond, 2),
      cpuPercent: drained.seconds === null ? null : round((drained.cpuSeconds / drained.seconds) * 100),
      brokerCpuPercent: round(brokerCpuPercent),
      consumerCpuPercent: round(consumerCpuPercent),
      cpuMicrosPerMessage: round((drained.cpuSeconds * 1e6) / Math.max(1, drained.published), 2),
      consumer: { received: got.received, inOrder: got.received === messages && got.outOfOrder === 0 && got.missing === 0 && got.first === 1_700_000_000_000, duplicates: got.duplicates, missing: got.missing, outOfOrder: got.outOfOrder },
      sink: { published: drained.published, errors: drained.errors, dropped: drained.dropped, left: drained.left, lastError: drained.lastError },
      rss: {
        medianMiB: round(window.rssMedianBytes / MiB),
        maxMiB: round(window.rssMaxBytes / MiB),
        anonMaxMiB: round(window.anonMaxBytes / MiB),
        fileMaxMiB: round(window.fileMaxBytes / MiB),
        afterFillMiB: round(filled.rssBytes / MiB),
        peakMiB: round(window.rssPeakBytes / MiB),
        samples: window.samples,
      },
    };
    opts.log(
      `drained: buffer empty after ${result.sinkSeconds ?? '—'} s, consumer complete after ${result.consumerSeconds ?? '—'} s → ${result.messagesPerSecond?.toLocaleString('en') ?? '—'} msg/s = ${result.ratioToReference ?? '—'} × raw; ` +
        `CPU: sink ${result.cpuPercent ?? '—'}%, broker ${result.brokerCpuPercent}%, consumer ${result.consumerCpuPercent}%; ` +
        `${got.received.toLocaleString('en')} received${result.consumer.inOrder ? ' in order' : ` (NOT in order: ${got.missing} missing, ${got.outOfOrder} jumps)`}, ${got.duplicates} duplicates; RSS median ${result.rss.medianMiB} / max ${result.rss.maxMiB} MiB (anon ≤ ${result.rss.anonMaxMiB}, file ≤ ${result.rss.fileMaxMiB})`,
    );
    await Promise.race([child.exited, new Promise((r) => setTimeout(r, 15_000).unref())]);
    return result;
  } finally {
    await child.stop();
    await broker.start().catch(() => undefined);
    // The session must not outlive the run: the broker would queue the next section's messages for it.
    await consumer.unsubscribeAsync(filter).catch(() => undefined);
    await consumer.endAsync().catch(() => undefined);
    await dropSession(broker.url, clientId);
  }
}
