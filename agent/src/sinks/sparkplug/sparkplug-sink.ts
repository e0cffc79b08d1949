import path from 'node:path';
import type { Group, LinkState, Sink as SinkConfig, SinkStats } from '@edgefleet/protocol';
import type { GroupSample } from '../../runtime/group-sample.js';
import type { Backoff } from '../../util/backoff.js';
import { errorMessage } from '../../util/errors.js';
import { PipelineSink } from '../pipeline/pipeline-sink.js';
import type { Sink, SinkContext, SinkDevice } from '../sink.js';
import { BdSeqStore } from './bdseq-store.js';
import { deviceMetrics, metricName } from './metrics.js';
import { encodeSampleRecord } from './sample-record.js';
import { SparkplugSession, type MetricSample, type SparkplugMetricDefinition } from './session.js';
import { SparkplugTransport } from './sparkplug-transport.js';
import { deviceTopic } from './topics.js';

type SparkplugSinkConfig = Extract<SinkConfig, { kind: 'sparkplug-b' }>;

/** Per group: each tag's metric name, built once. */
const metricNames = new WeakMap<Group, string[]>();

function namesOf(group: Group): string[] {
  let names = metricNames.get(group);
  if (!names) {
    names = group.tags.map((t) => metricName(group.name, t.name));
    metricNames.set(group, names);
  }
  return names;
}

/** The readings a sample carries, as session samples (a failed tag as its error). */
function metricSamples(sample: GroupSample): MetricSample[] {
  const names = namesOf(sample.group);
  const { values, errors, changed, timestamp } = sample;
  const out: MetricSample[] = [];
  const n = changed ? changed.length : names.length;
  for (let k = 0; k < n; k++) {
    const i = changed ? changed[k]! : k;
    const metric = names[i];
    if (metric === undefined) continue;
    const error = errors.size > 0 ? errors.get(i) : undefined;
    if (error !== undefined) out.push({ metric, error, timestamp });
    else {
      const value = values[i];
      if (value !== undefined) out.push({ metric, value, timestamp });
    }
  }
  return out;
}

/**
 * The Sparkplug B sink (spBv1.0): the agent is one Edge Node (`groupId`, `edgeNodeId`), each
 * subscribed device a Sparkplug device, each tag of its subscribed groups a metric named
 * `{group}/{tag}` (see `metrics.ts`).
 *
 * Reads go through the shared pipeline (report filter, durable buffer) as records of names and
 * values, encoded only when sent (see `sample-record.ts`), so seq and bdSeq are always those of
 * the connection that carries them. Every read is also kept as the session's current values
 * first, so births carry the latest values even while older ones wait in the buffer.
 *
 * Births and deaths come from the device's life rather than from reads: `define` (the apply
 * engine calls it before the sink starts and after each config apply) defines the devices'
 * metrics, and rebirths the node when a born device's metrics changed; `deviceLink` publishes a
 * DDEATH when a device stops answering and its DBIRTH when it answers again. While a device is
 * down its reads (every tag failed) are not published: its DDEATH already says its values are
 * stale.
 */
export class SparkplugSink implements Sink {
  readonly session: SparkplugSession;
  private readonly transport: SparkplugTransport;
  private readonly pipeline: PipelineSink;
  /** The link of each defined device, as last reported. */
  private readonly links = new Map<string, LinkState>();
  /** Reads refused by the session (a device or tag the sink was not told about). */
  private unknown = 0;

  constructor(
    private readonly config: SparkplugSinkConfig,
    private readonly context: SinkContext,
    options: { backoff?: Backoff } = {},
  ) {
    const { settings } = config;
    const log = context.log.child({ sink: config.name });
    // bdSeq goes on from the last run's (see bdseq-store.ts) where the agent has a state dir.
    const bdSeqStore = context.stateDir ? new BdSeqStore(path.join(context.stateDir, 'sparkplug', `${encodeURIComponent(config.name)}.json`)) : undefined;
    this.session = new SparkplugSession({ groupId: settings.groupId, edgeNodeId: settings.edgeNodeId ?? context.agentId, bdSeq: bdSeqStore?.next() ?? 0 });
    this.transport = new SparkplugTransport({
      session: this.session,
      broker: settings.broker,
      clientId: settings.broker.clientId ?? `edgefleet-${context.agentId}-${config.name}`,
      writes: settings.writes,
      log,
      ...(options.backoff ? { backoff: options.backoff } : {}),
      ...(bdSeqStore
        ? {
            onWill: (bdSeq: number) => {
              try {
                bdSeqStore.save(bdSeq);
              } catch (err) {
                log.warn({ err: errorMessage(err) }, 'cannot keep the Sparkplug bdSeq in the state dir; the next run may start from 0');
              }
            },
          }
        : {}),
    });
    const { groupId } = this.session;
    const edgeNodeId = this.session.edgeNodeId;
    this.pipeline = new PipelineSink({
      config,
      context,
      transport: this.transport,
      // The topic the record will be published on; the transport derives it again when sending.
      topicOf: (s) => deviceTopic(groupId, 'DDATA', edgeNodeId, s.device),
      payloadOf: (s) => encodeSampleRecord(s),
    });
  }

  get name(): string {
    return this.config.name;
  }

  get kind(): SinkConfig['kind'] {
    return this.config.kind;
  }

  start(): Promise<void> {
    return this.pipeline.start();
  }

  stop(): Promise<void> {
    return this.pipeline.stop();
  }

  publish(sample: GroupSample): void {
    if (!this.config.enabled) return;
    const link = this.links.get(sample.device);
    if (link !== undefined && link !== 'connected') return;
    try {
      this.session.observe(sample.device, metricSamples(sample));
    } catch (err) {
      // A device or tag the sink was not defined with: a read of a config it has not seen.
      if (this.unknown++ === 0) this.context.log.warn({ sink: this.name, device: sample.device, group: sample.group.name, err: errorMessage(err) }, 'a read of a device or tag this sink does not publish');
      return;
    }
    this.pipeline.publish(sample);
  }

  define(devices: readonly SinkDevice[]): void {
    const definitions = new Map<string, SparkplugMetricDefinition[]>(devices.map((d) => [d.name, deviceMetrics(d.groups)]));
    this.transport.publishNow(this.session.define(definitions));
    for (const name of [...this.links.keys()]) if (!definitions.has(name)) this.links.delete(name);
    for (const d of devices) this.deviceLink(d.name, d.link);
  }

  deviceLink(device: string, link: LinkState): void {
    if (!this.session.hasDevice(device)) return;
    const before = this.links.get(device);
    this.links.set(device, link);
    if (link === 'connected') {
      if (before !== 'connected') this.transport.publishNow(this.session.deviceOnline(device));
    } else if (before === 'connected') {
      this.transport.publishNow(this.session.deviceOffline(device));
    }
  }

  link(): LinkState {
    return this.pipeline.link();
  }

  stats(): SinkStats {
    const stats = this.pipeline.stats();
    return {
      ...stats,
      dropped: stats.dropped + this.transport.unpublishable + this.session.droppedReadings + this.unknown,
      refusedCommands: this.transport.refusedCommands,
    };
  }
}

export function createSparkplugSink(config: SparkplugSinkConfig, context: SinkContext): Sink {
  return new SparkplugSink(config, context);
}
