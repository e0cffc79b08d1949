import type { TagType, TagValue } from '@edgefleet/protocol';
import tahu from 'sparkplug-payload/lib/sparkplugbpayload.js';
import type { UMetric, UPayload } from 'sparkplug-payload/lib/sparkplugbpayload.js';
import { commandValue, decodeCommandMetrics, type CommandMetric } from './command-payload.js';
import { SPARKPLUG_DATATYPES, toSparkplugValue } from './datatypes.js';
import { deviceTopic, invalidSparkplugId, nodeTopic, parseSparkplugTopic } from './topics.js';

/** One MQTT publish for the transport to make. */
export interface SparkplugMessage {
  topic: string;
  payload: Uint8Array;
  qos: 0 | 1;
  retain: boolean;
}

/** A metric of a Sparkplug device: one of our tags, with the type of the value it publishes. */
export interface SparkplugMetricDefinition {
  name: string;
  type: TagType;
  writable: boolean;
}

/** A metric of the Edge Node itself (agent figures, properties); node metrics are never written. */
export type SparkplugNodeMetricDefinition = Omit<SparkplugMetricDefinition, 'writable'>;

/**
 * A new reading of one metric, named or given by its index in the definition list. A per-tag
 * error number (see `TagErrorNumber`) instead of a value is published as a metric with
 * `is_null: true`: Sparkplug's way of saying there is no current value (spec §6.4.6, and
 * [tck-id-operational-behavior-data-publish-dbirth-values] for births), where a made-up 0 or
 * false would be read as a real value.
 */
export type MetricSample = { metric: string | number; timestamp: number } & ({ value: TagValue } | { error: number });

export type SparkplugCommand =
  /** Publish the birth sequence again: call `rebirth()` and publish what it returns. */
  | { kind: 'rebirth' }
  /** Write `value` (engineering units, as published) to tag `tag` of device `device`. */
  | { kind: 'write'; device: string; tag: string; value: TagValue };

export interface CommandOutcome {
  commands: SparkplugCommand[];
  /** Why parts of the command were refused; the rest of a command is still carried out. */
  errors: string[];
}

export interface SparkplugSessionOptions {
  groupId: string;
  edgeNodeId: string;
  now?: () => number;
  /** The bdSeq of the first will (0–255, default 0): a sink that keeps bdSeq across restarts passes it here. */
  bdSeq?: number;
  nodeMetrics?: readonly SparkplugNodeMetricDefinition[];
}

const BDSEQ = 'bdSeq';
const REBIRTH = 'Node Control/Rebirth';
const NODE_CONTROL = 'Node Control/';

type Current = { value: TagValue } | { error: number } | null;

interface MetricState {
  def: SparkplugMetricDefinition;
  alias: number;
  current: Current;
  /** When `current` was read; a birth stamps metrics never read with its own time. */
  timestamp: number | undefined;
  /**
   * The time of the value the host holds as current in this session: the one the last birth
   * carried, or a later DDATA's; undefined while it holds none. A forwarded reading older than
   * this is history to the host (see `forwardedData`).
   */
  hostTimestamp: number | undefined;
}

interface MetricSet {
  list: MetricState[];
  byName: Map<string, MetricState>;
  byAlias: Map<number, MetricState>;
}

interface DeviceState extends MetricSet {
  name: string;
  /** The device answers: it has (or will get, once connected) a DBIRTH. */
  online: boolean;
  /** Its DBIRTH went out in the current MQTT session. */
  born: boolean;
  /** When it last went offline (`deviceOffline`): its readings from before are stale. */
  offlineAt: number | undefined;
}

/**
 * The Sparkplug B (spBv1.0) state of one Edge Node, without any transport: it turns device data
 * into the messages to publish, in order, and commands into actions. Each southbound device is a
 * Sparkplug device; metric aliases are assigned once per device metric and are unique across the
 * node [tck-id-payloads-alias-uniqueness].
 *
 * The transport's part, per MQTT connection:
 * 1. before each CONNECT, set the MQTT will to `willMessage()`;
 * 2. once connected, subscribe to `NCMD/{node}` and `DCMD/{node}/+` (QoS 1), then publish
 *    everything `onConnected()` returns, in order;
 * 3. publish what the data and device calls return while connected; pass NCMD/DCMD messages to
 *    `handleCommand()`, and on a rebirth command publish `rebirth()`. Readings that go through
 *    a store-and-forward pipeline go to `observe()` as they are read (so births carry the latest
 *    values) and to `forwardedData()` when they are sent, whenever that is;
 * 4. to disconnect on purpose, publish `deathMessage()` then DISCONNECT
 *    [tck-id-operational-behavior-edge-node-intentional-disconnect-ndeath];
 * 5. on any connection loss call `onDisconnected()`.
 *
 * bdSeq rule. The NDEATH is the will, fixed in the CONNECT packet before the broker answers, and
 * the NBIRTH after that CONNECT must carry the same bdSeq
 * [tck-id-topics-nbirth-bdseq-matching, tck-id-payloads-nbirth-bdseq-repeat]; the next CONNECT's
 * will carries one more, 255 wrapping to 0
 * [tck-id-topics-nbirth-bdseq-increment,
 * tck-id-message-flow-edge-node-birth-publish-will-message-payload-bdSeq]. So `willMessage()`
 * does not advance anything: it returns the pending bdSeq and records it as the one registered.
 * `onConnected()` births with that recorded bdSeq and only then makes bdSeq + 1 the pending one.
 * A CONNECT that fails leaves no session to pair with, so a retry reuses the same bdSeq rather
 * than skipping values; a transport that reconnects with its old will still births with the bdSeq
 * that will holds. A rebirth request keeps the session's bdSeq
 * [tck-id-operational-behavior-data-commands-rebirth-action-3]. bdSeq is an Int64 metric as
 * §5.4 requires [tck-id-message-flow-edge-node-birth-publish-nbirth-payload-bdSeq].
 *
 * seq rule. Every message of the node but the NDEATH carries a seq
 * [tck-id-payloads-sequence-num-always-included, tck-id-topics-ndeath-seq]. The NBIRTH has 0
 * [tck-id-payloads-sequence-num-zero-nbirth], so each birth sequence (connection or rebirth)
 * restarts it; every DBIRTH, NDATA, DDATA and DDEATH after it has the previous seq + 1, 255
 * wrapping to 0 [tck-id-payloads-sequence-num-incrementing, tck-id-topics-ddeath-seq-num].
 * Messages are numbered when built, so the transport publishes them in the order returned.
 *
 * Calls that name a device or metric that was never defined throw a RangeError (a bug in the
 * caller, which defines devices from the config it publishes); commands from the network never
 * throw.
 */
export class SparkplugSession {
  readonly groupId: string;
  readonly edgeNodeId: string;
  private readonly now: () => number;
  /** The bdSeq the next will carries. */
  private pendingBdSeq: number;
  /** The bdSeq of the last will handed out: the one the broker holds after the next CONNECT. */
  private registeredBdSeq: number | null = null;
  /** The bdSeq of the live MQTT session, null while disconnected. */
  private sessionBdSeq: number | null = null;
  /** The seq of the next message. */
  private seq = 0;
  private readonly node: MetricSet;
  private readonly devices = new Map<string, DeviceState>();
  /** Every alias ever assigned, by owner and metric name, so a redefinition keeps its aliases. */
  private readonly aliases = new Map<string, number>();
  private readonly aliasOwners = new Map<number, string>();
  private nextAlias = 1;
  private rejected = 0;
  private dropped = 0;

  constructor(options: SparkplugSessionOptions) {
    for (const [what, id] of [['groupId', options.groupId], ['edgeNodeId', options.edgeNodeId]] as const) {
      const why = invalidSparkplugId(id);
      if (why) throw new RangeError(`Sparkplug ${what} '${id}' ${why}`);
    }
    const bdSeq = options.bdSeq ?? 0;
    if (!Number.isInteger(bdSeq) || bdSeq < 0 || bdSeq > 255) throw new RangeError(`bdSeq ${bdSeq} is not in 0…255`);
    this.groupId = options.groupId;
    this.edgeNodeId = options.edgeNodeId;
    this.now = options.now ?? Date.now;
    this.pendingBdSeq = bdSeq;
    const nodeMetrics = options.nodeMetrics ?? [];
    for (const m of nodeMetrics) {
      if (m.name === BDSEQ || m.name.startsWith(NODE_CONTROL)) throw new RangeError(`node metric '${m.name}' is reserved by Sparkplug`);
    }
    this.node = this.metricSet(null, nodeMetrics.map((m) => ({ ...m, writable: false })), null);
  }

  /** Values that did not fit their metric's datatype and went out as null instead. */
  get rejectedValues(): number {
    return this.rejected;
  }

  /** Forwarded readings that could not be published: their device was offline (see `forwardedData`). */
  get droppedReadings(): number {
    return this.dropped;
  }

  get connected(): boolean {
    return this.sessionBdSeq !== null;
  }

  hasDevice(name: string): boolean {
    return this.devices.has(name);
  }

  hasMetric(device: string, metric: string): boolean {
    return this.devices.get(device)?.byName.has(metric) ?? false;
  }

  /** The bdSeq of the last will handed out by `willMessage()`, null before the first. */
  get willBdSeq(): number | null {
    return this.registeredBdSeq;
  }

  /** The NDEATH to register as the MQTT will of the next CONNECT: QoS 1, not retained [tck-id-payloads-ndeath-will-message-qos, -retain]. */
  willMessage(): SparkplugMessage {
    this.registeredBdSeq = this.pendingBdSeq;
    return this.ndeath(this.pendingBdSeq);
  }

  /** The NDEATH to publish before a deliberate DISCONNECT (the will would not fire); null while disconnected. */
  deathMessage(): SparkplugMessage | null {
    return this.sessionBdSeq === null ? null : this.ndeath(this.sessionBdSeq);
  }

  /** The connection is up: NBIRTH, then a DBIRTH per online device [tck-id-payloads-dbirth-order]. */
  onConnected(): SparkplugMessage[] {
    const bdSeq = this.registeredBdSeq ?? this.pendingBdSeq;
    this.sessionBdSeq = bdSeq;
    this.pendingBdSeq = (bdSeq + 1) % 256;
    return this.birthSequence();
  }

  onDisconnected(): void {
    this.sessionBdSeq = null;
    for (const d of this.devices.values()) d.born = false;
  }

  /** The birth sequence again, for a `Node Control/Rebirth` command: same bdSeq, seq from 0. */
  rebirth(): SparkplugMessage[] {
    return this.connected ? this.birthSequence() : [];
  }

  /**
   * Defines (or redefines, after a config change) a device's metrics. A metric keeps its alias,
   * and its value when its type is unchanged; new metrics get the next free aliases, in the
   * order given. A device already born is born again, since a DBIRTH must list every metric the
   * device will report [tck-id-operational-behavior-data-publish-dbirth].
   */
  defineDevice(name: string, metrics: readonly SparkplugMetricDefinition[]): SparkplugMessage[] {
    const device = this.setDefinitions(name, metrics);
    return device.born && this.connected ? [this.dbirth(device)] : [];
  }

  /**
   * Sets the node's devices and their metrics as a whole, after a config change: a device no
   * longer listed is removed (DDEATH if it was born), a new one is defined (born once it is
   * online), and when the metrics of a device already born changed, the whole birth sequence is
   * published again (NBIRTH and every DBIRTH, as for a rebirth request: same bdSeq, seq from 0),
   * the one change of metrics every host application accepts. Devices whose definitions are
   * unchanged are left alone; nothing changed, nothing is returned.
   */
  define(devices: ReadonlyMap<string, readonly SparkplugMetricDefinition[]>): SparkplugMessage[] {
    const out: SparkplugMessage[] = [];
    for (const name of [...this.devices.keys()]) if (!devices.has(name)) out.push(...this.removeDevice(name));
    let reborn = false;
    for (const [name, metrics] of devices) {
      const old = this.devices.get(name);
      if (old && sameDefinitions(old.list, metrics)) continue;
      reborn ||= old?.born === true;
      this.setDefinitions(name, metrics);
    }
    return reborn ? [...out, ...this.rebirth()] : out;
  }

  /** Forgets a device: a DDEATH if it was born. Its aliases stay reserved for it. */
  removeDevice(name: string): SparkplugMessage[] {
    const device = this.device(name);
    const out = device.born && this.connected ? [this.ddeath(device)] : [];
    this.devices.delete(name);
    return out;
  }

  /** The device answers again: its DBIRTH with every metric's current value (`samples` update them first). */
  deviceOnline(name: string, samples: readonly MetricSample[] = []): SparkplugMessage[] {
    const device = this.device(name);
    this.apply(this.resolve(device, samples, `device '${name}'`));
    device.online = true;
    if (!this.connected) return [];
    return [this.dbirth(device)];
  }

  /** The device stopped answering: DDEATH, and its values are forgotten until it comes back. */
  deviceOffline(name: string): SparkplugMessage[] {
    const device = this.device(name);
    const out = device.born && this.connected ? [this.ddeath(device)] : [];
    device.online = false;
    device.born = false;
    device.offlineAt = this.now();
    for (const m of device.list) {
      m.current = null;
      m.timestamp = undefined;
      m.hostTimestamp = undefined;
    }
    return out;
  }

  /**
   * Readings that are news, kept as the current values without publishing anything yet: the
   * sink calls it for every read it is handed, before the read waits in its buffer, so a birth
   * (after a reconnect, or a rebirth while a backlog drains) carries the latest values. A
   * reading never replaces a newer one. Readings mean the device answers (as with `data`).
   */
  observe(name: string, samples: readonly MetricSample[]): void {
    const device = this.device(name);
    const resolved = this.resolve(device, samples, `device '${name}'`);
    this.apply(resolved);
    if (resolved.length > 0) device.online = true;
  }

  /**
   * New readings of a device: a DDATA with aliases only [tck-id-payloads-alias-data-cmd-requirement],
   * one metric per sample with its own timestamp, in time order
   * [tck-id-operational-behavior-data-publish-dbirth-order]. Readings mean the device answers: one
   * without a DBIRTH in this session gets its DBIRTH instead, which already carries these values
   * (births before data, [tck-id-payloads-dbirth-order]). Nothing is returned while disconnected;
   * the values are kept for the next birth.
   */
  data(name: string, samples: readonly MetricSample[]): SparkplugMessage[] {
    const device = this.device(name);
    const resolved = this.resolve(device, samples, `device '${name}'`);
    this.apply(resolved);
    if (resolved.length === 0) return [];
    device.online = true;
    if (!this.connected) return [];
    if (!device.born) return [this.dbirth(device)];
    const now = this.now();
    const metrics = resolved.map(([m, s]) => {
      m.hostTimestamp = Math.max(m.hostTimestamp ?? s.timestamp, s.timestamp);
      return this.dataMetric(m, s);
    });
    return [this.message(deviceTopic(this.groupId, 'DDATA', this.edgeNodeId, device.name), this.encode(now, metrics, true))];
  }

  /**
   * Readings handed over by the sink's store-and-forward pipeline when it sends them: at once,
   * or after waiting in its buffer (the connection was down, or a backlog was still draining).
   * seq, bdSeq and aliases belong to one MQTT session, so readings are encoded only now, by
   * this session, and what they are to the host is decided now too:
   *
   * - newer than the value the host holds as current for the metric (the one the birth carried,
   *   or a later DDATA's): news, published and kept as `data` does;
   * - older, or read before the device last went offline: history, published with
   *   `is_historical` set (sparkplug_b.proto: historical data "should not update [the] real
   *   time tag"), and the current values stay as they are;
   * - of the very time of the value the host holds: that reading itself (a birth carried it, or
   *   it is sent again), left out.
   *
   * One DDATA carries them, in time order, with aliases only. A device that is online but has no
   * DBIRTH in this session gets it first. A device that is offline cannot carry data (a DDATA
   * must follow its device's DBIRTH, [tck-id-payloads-dbirth-order]): its readings are dropped
   * and counted in `droppedReadings`. Nothing is returned, and nothing changes, while
   * disconnected.
   */
  forwardedData(name: string, samples: readonly MetricSample[]): SparkplugMessage[] {
    const device = this.device(name);
    const resolved = this.resolve(device, samples, `device '${name}'`);
    if (resolved.length === 0 || !this.connected) return [];
    if (!device.online) {
      this.dropped += resolved.length;
      return [];
    }
    const out = device.born ? [] : [this.dbirth(device)];
    const metrics: UMetric[] = [];
    for (const [m, s] of resolved) {
      const held = m.hostTimestamp;
      if (held !== undefined && s.timestamp === held) continue;
      // Read before the device last went offline: stale, even if the host holds nothing newer.
      const stale = device.offlineAt !== undefined && s.timestamp <= device.offlineAt;
      if (stale || (held !== undefined && s.timestamp < held)) {
        metrics.push({ ...this.dataMetric(m, s), isHistorical: true });
        continue;
      }
      this.apply([[m, s]]);
      m.hostTimestamp = s.timestamp;
      metrics.push(this.dataMetric(m, s));
    }
    if (metrics.length > 0) out.push(this.message(deviceTopic(this.groupId, 'DDATA', this.edgeNodeId, device.name), this.encode(this.now(), metrics, true)));
    return out;
  }

  /** New readings of node metrics: an NDATA (aliases only), or nothing while disconnected. */
  nodeData(samples: readonly MetricSample[]): SparkplugMessage[] {
    const resolved = this.resolve(this.node, samples, 'the edge node');
    this.apply(resolved);
    if (resolved.length === 0 || !this.connected) return [];
    const metrics = resolved.map(([m, s]) => this.dataMetric(m, s));
    return [this.message(nodeTopic(this.groupId, 'NDATA', this.edgeNodeId), this.encode(this.now(), metrics, true))];
  }

  /**
   * Reads an NCMD or DCMD (spec §5.17 Commands). Metrics are resolved by alias when there is one
   * (the spec wants aliases only in commands once births carry them
   * [tck-id-payloads-alias-data-cmd-requirement]), else by name. Never throws: anything refused is
   * an entry in `errors`, and the acceptable metrics of the same command are still returned.
   */
  handleCommand(topic: string, payload: Uint8Array): CommandOutcome {
    const t = parseSparkplugTopic(topic);
    if (!t || (t.messageType !== 'NCMD' && t.messageType !== 'DCMD')) return refused(`'${topic}' is not a Sparkplug NCMD or DCMD topic`);
    if (t.groupId !== this.groupId || t.edgeNodeId !== this.edgeNodeId) return refused(`'${topic}' is addressed to another edge node`);
    let metrics: CommandMetric[];
    try {
      metrics = decodeCommandMetrics(payload);
    } catch (e) {
      return refused(`${t.messageType} on '${topic}' is not a Sparkplug B payload: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (metrics.length === 0) return refused(`${t.messageType} on '${topic}' carries no metrics`);
    return t.deviceId === undefined ? this.nodeCommand(metrics) : this.deviceCommand(t.deviceId, metrics);
  }

  private nodeCommand(metrics: CommandMetric[]): CommandOutcome {
    const outcome: CommandOutcome = { commands: [], errors: [] };
    for (const metric of metrics) {
      const found = this.lookup(this.node, metric, 'the edge node');
      // `Node Control/Rebirth` has no alias [tck-id-operational-behavior-data-commands-rebirth-name-aliases].
      const name = 'error' in found ? metric.name : found.metric.def.name;
      if (name === REBIRTH) {
        const v = commandValue(metric, 'bool');
        // A rebirth request is the metric set to true [tck-id-operational-behavior-data-commands-ncmd-rebirth-value].
        if ('error' in v || v.value !== true) outcome.errors.push(`NCMD '${REBIRTH}' must be the Boolean true`);
        else if (!outcome.commands.some((c) => c.kind === 'rebirth')) outcome.commands.push({ kind: 'rebirth' });
      } else if (name?.startsWith(NODE_CONTROL)) {
        outcome.errors.push(`NCMD '${name}' is not supported; only '${REBIRTH}' is`);
      } else if ('error' in found) {
        outcome.errors.push(`NCMD: ${found.error}`);
      } else {
        outcome.errors.push(`NCMD: node metric '${found.metric.def.name}' is read-only`);
      }
    }
    return outcome;
  }

  private deviceCommand(deviceId: string, metrics: CommandMetric[]): CommandOutcome {
    const device = this.devices.get(deviceId);
    if (!device) return refused(`DCMD for unknown device '${deviceId}'`);
    const outcome: CommandOutcome = { commands: [], errors: [] };
    for (const metric of metrics) {
      const found = this.lookup(device, metric, `device '${deviceId}'`);
      if ('error' in found) {
        outcome.errors.push(`DCMD: ${found.error}`);
        continue;
      }
      const { def } = found.metric;
      if (!def.writable) {
        outcome.errors.push(`DCMD: metric '${def.name}' of device '${deviceId}' is read-only`);
        continue;
      }
      const v = commandValue(metric, def.type);
      if ('error' in v) outcome.errors.push(`DCMD: metric '${def.name}' of device '${deviceId}' ${v.error}`);
      else outcome.commands.push({ kind: 'write', device: deviceId, tag: def.name, value: v.value });
    }
    return outcome;
  }

  /** A command metric's target: by alias when given (and then the name, if any, must agree), else by name. */
  private lookup(set: MetricSet, metric: CommandMetric, owner: string): { metric: MetricState } | { error: string } {
    if (metric.alias !== undefined) {
      const alias = metric.alias;
      const m = alias <= BigInt(Number.MAX_SAFE_INTEGER) ? set.byAlias.get(Number(alias)) : undefined;
      if (!m) {
        const other = alias <= BigInt(Number.MAX_SAFE_INTEGER) ? this.aliasOwners.get(Number(alias)) : undefined;
        return { error: other === undefined ? `unknown alias ${alias}` : `alias ${alias} is not a metric of ${owner}` };
      }
      if (metric.name !== undefined && metric.name !== m.def.name) return { error: `alias ${alias} is '${m.def.name}', not '${metric.name}'` };
      return { metric: m };
    }
    if (metric.name === undefined) return { error: 'a metric has neither a name nor an alias' };
    const m = set.byName.get(metric.name);
    return m ? { metric: m } : { error: `unknown metric '${metric.name}' of ${owner}` };
  }

  private birthSequence(): SparkplugMessage[] {
    this.seq = 0;
    const out = [this.nbirth()];
    for (const device of this.devices.values()) {
      device.born = false;
      if (device.online) out.push(this.dbirth(device));
    }
    return out;
  }

  private nbirth(): SparkplugMessage {
    const now = this.now();
    const metrics: UMetric[] = [
      { name: BDSEQ, type: 'Int64', value: this.sessionBdSeq ?? 0, timestamp: now },
      // Host applications ask for a new birth sequence through it [tck-id-payloads-nbirth-rebirth-req].
      { name: REBIRTH, type: 'Boolean', value: false, timestamp: now },
      ...this.node.list.map((m) => this.birthMetric(m, now)),
    ];
    return this.message(nodeTopic(this.groupId, 'NBIRTH', this.edgeNodeId), this.encode(now, metrics, true));
  }

  /** NDEATH: the bdSeq metric alone [tck-id-topics-ndeath-payload] and no seq [tck-id-topics-ndeath-seq]. */
  private ndeath(bdSeq: number): SparkplugMessage {
    const now = this.now();
    const payload = this.encode(now, [{ name: BDSEQ, type: 'Int64', value: bdSeq, timestamp: now }], false);
    return { topic: nodeTopic(this.groupId, 'NDEATH', this.edgeNodeId), payload, qos: 1, retain: false };
  }

  /** Names, aliases, datatypes and current values of every metric [tck-id-topics-dbirth-metrics, tck-id-payloads-alias-birth-requirement]. */
  private dbirth(device: DeviceState): SparkplugMessage {
    const now = this.now();
    device.born = true;
    for (const m of device.list) m.hostTimestamp = m.timestamp;
    const metrics = device.list.map((m) => this.birthMetric(m, now));
    return this.message(deviceTopic(this.groupId, 'DBIRTH', this.edgeNodeId, device.name), this.encode(now, metrics, true));
  }

  private ddeath(device: DeviceState): SparkplugMessage {
    return this.message(deviceTopic(this.groupId, 'DDEATH', this.edgeNodeId, device.name), this.encode(this.now(), [], true));
  }

  private birthMetric(m: MetricState, now: number): UMetric {
    return { name: m.def.name, alias: m.alias, timestamp: m.timestamp ?? now, type: SPARKPLUG_DATATYPES[m.def.type], value: this.encodeValue(m.def.type, m.current) };
  }

  /**
   * DATA metrics carry the alias without the name. They keep the datatype, which the spec only
   * advises against [tck-id-payloads-metric-datatype-not-req]: Tahu's encoder chooses the value
   * field from it and Tahu-based decoders need it to read the value back.
   */
  private dataMetric(m: MetricState, s: MetricSample): UMetric {
    const current: Current = 'error' in s ? { error: s.error } : { value: s.value };
    return { alias: m.alias, timestamp: s.timestamp, type: SPARKPLUG_DATATYPES[m.def.type], value: this.encodeValue(m.def.type, current) };
  }

  /** null is encoded as `is_null: true` with no value field. */
  private encodeValue(type: TagType, current: Current): UMetric['value'] {
    if (current === null || 'error' in current) return null;
    const v = toSparkplugValue(type, current.value);
    if (v !== undefined) return v;
    this.rejected++;
    return null;
  }

  private encode(timestamp: number, metrics: UMetric[], withSeq: boolean): Uint8Array {
    const payload: UPayload = { timestamp, metrics };
    if (withSeq) {
      payload.seq = this.seq;
      this.seq = (this.seq + 1) % 256;
    }
    return tahu.encodePayload(payload);
  }

  /** Everything but the NDEATH goes out at QoS 0, not retained (spec §4.2, e.g. [tck-id-topics-ddata-mqtt]). */
  private message(topic: string, payload: Uint8Array): SparkplugMessage {
    return { topic, payload, qos: 0, retain: false };
  }

  /** Defines or redefines a device without publishing anything. */
  private setDefinitions(name: string, metrics: readonly SparkplugMetricDefinition[]): DeviceState {
    const why = invalidSparkplugId(name);
    if (why) throw new RangeError(`Sparkplug device ID '${name}' ${why}`);
    const old = this.devices.get(name);
    const set = this.metricSet(name, metrics, old ?? null);
    const device: DeviceState = { name, ...set, online: old?.online ?? false, born: old?.born ?? false, offlineAt: old?.offlineAt };
    this.devices.set(name, device);
    return device;
  }

  private device(name: string): DeviceState {
    const device = this.devices.get(name);
    if (!device) throw new RangeError(`Sparkplug device '${name}' is not defined`);
    return device;
  }

  private metricSet(owner: string | null, defs: readonly SparkplugMetricDefinition[], old: MetricSet | null): MetricSet {
    const set: MetricSet = { list: [], byName: new Map(), byAlias: new Map() };
    for (const def of defs) {
      if (def.name.length === 0) throw new RangeError(`a metric of ${owner === null ? 'the edge node' : `device '${owner}'`} has an empty name`);
      if (set.byName.has(def.name)) throw new RangeError(`metric '${def.name}' is defined twice for ${owner === null ? 'the edge node' : `device '${owner}'`}`);
      const previous = old?.byName.get(def.name);
      const keep = previous !== undefined && previous.def.type === def.type;
      const m: MetricState = { def: { ...def }, alias: this.aliasFor(owner, def.name), current: keep ? previous.current : null, timestamp: keep ? previous.timestamp : undefined, hostTimestamp: undefined };
      set.list.push(m);
      set.byName.set(def.name, m);
      set.byAlias.set(m.alias, m);
    }
    return set;
  }

  /** Aliases are numbered from 1 in definition order (node metrics first) and never reused for another metric. */
  private aliasFor(owner: string | null, metric: string): number {
    const key = JSON.stringify([owner, metric]);
    let alias = this.aliases.get(key);
    if (alias === undefined) {
      alias = this.nextAlias++;
      this.aliases.set(key, alias);
      this.aliasOwners.set(alias, owner ?? '');
    }
    return alias;
  }

  /** Resolves every sample before anything changes, so a bad one leaves the state as it was. */
  private resolve(set: MetricSet, samples: readonly MetricSample[], owner: string): Array<[MetricState, MetricSample]> {
    const resolved = samples.map((s): [MetricState, MetricSample] => {
      const m = typeof s.metric === 'number' ? set.list[s.metric] : set.byName.get(s.metric);
      if (!m) throw new RangeError(`${owner} has no metric ${typeof s.metric === 'number' ? `#${s.metric}` : `'${s.metric}'`}`);
      return [m, s];
    });
    // Stable: samples of the same instant keep their order.
    return resolved.sort((a, b) => a[1].timestamp - b[1].timestamp);
  }

  /** Keeps each reading as its metric's current value, unless the metric already holds a newer one. */
  private apply(resolved: Array<[MetricState, MetricSample]>): void {
    for (const [m, s] of resolved) {
      if (m.timestamp !== undefined && s.timestamp < m.timestamp) continue;
      m.current = 'error' in s ? { error: s.error } : { value: s.value };
      m.timestamp = s.timestamp;
    }
  }
}

function sameDefinitions(list: readonly MetricState[], metrics: readonly SparkplugMetricDefinition[]): boolean {
  return list.length === metrics.length && list.every((m, i) => m.def.name === metrics[i]!.name && m.def.type === metrics[i]!.type && m.def.writable === metrics[i]!.writable);
}

function refused(error: string): CommandOutcome {
  return { commands: [], errors: [error] };
}
