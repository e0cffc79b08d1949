import type { LinkState, Sink as SinkConfig, SinkStats } from '@edgefleet/protocol';
import type { GroupSample } from '../../runtime/group-sample.js';
import type { Sink, SinkContext } from '../sink.js';
import type { SinkTransport } from '../transport/transport.js';
import { Forwarder } from './forwarder.js';
import { ReportFilter } from './report-filter.js';

export interface PipelineSinkOptions {
  config: SinkConfig;
  context: SinkContext;
  transport: SinkTransport;
  /** The rendered topic (or routing key) of a sample. */
  topicOf(sample: GroupSample): string;
  /** The formatted payload of a sample. */
  payloadOf(sample: GroupSample): string;
}

/**
 * The pipeline every sink kind shares: the groups it subscribes to come in (the apply engine
 * routes them), pass the report-by-exception filter, are formatted and handed to the forwarder,
 * which sends them or keeps them in the sink's durable buffer. Only the transport differs.
 */
export class PipelineSink implements Sink {
  private running = false;
  private readonly filter: ReportFilter;
  private readonly forwarder: Forwarder;

  constructor(private readonly options: PipelineSinkOptions) {
    const { config, context, transport } = options;
    this.filter = new ReportFilter(config.report);
    this.forwarder = new Forwarder({ sink: config.name, transport, buffers: context.buffers, buffer: config.buffer, log: context.log.child({ sink: config.name }) });
  }

  get name(): string {
    return this.options.config.name;
  }

  get kind(): SinkConfig['kind'] {
    return this.options.config.kind;
  }

  async start(): Promise<void> {
    if (!this.options.config.enabled || this.running) return;
    this.running = true;
    const { transport, context } = this.options;
    if (transport.onWrite && context.writes) transport.onWrite(context.writes);
    await this.forwarder.start();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await this.forwarder.stop();
  }

  publish(sample: GroupSample): void {
    if (!this.running) return;
    const s = this.filter.filter(sample);
    if (!s) return;
    this.forwarder.submit(this.options.topicOf(s), Buffer.from(this.options.payloadOf(s)));
  }

  link(): LinkState {
    if (!this.options.config.enabled) return 'disabled';
    return this.running ? this.options.transport.link() : 'disconnected';
  }

  stats(): SinkStats {
    const buffer = this.forwarder.stats();
    return {
      name: this.name,
      kind: this.kind,
      link: this.link(),
      published: this.forwarder.published,
      errors: this.forwarder.errors,
      dropped: buffer.dropped,
      bufferDepth: buffer.depth,
      bufferOldestAgeMs: buffer.oldestAgeMs,
      bufferBytes: buffer.bytes,
      lastError: this.running ? this.options.transport.lastError() : null,
    };
  }
}
