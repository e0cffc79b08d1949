import type { LinkState, Sink as SinkConfig, SinkStats } from '@edgefleet/protocol';
import type { GroupSample } from '../../runtime/group-sample.js';
import { neuronTagsJson, neuronValuesJson } from '../format/neuron-json.js';
import { renderTopic } from '../format/topic-template.js';
import type { Sink, SinkContext } from '../sink.js';

type MqttSinkConfig = Extract<SinkConfig, { kind: 'mqtt' }>;

/**
 * Publishes groups as Neuron-compatible JSON. With `broker: 'fleet'` it rides the agent's own
 * mTLS connection. While that is down, messages are dropped and counted; durable
 * store-and-forward slots in between `publish` and the transport later.
 */
export class MqttSink implements Sink {
  readonly kind = 'mqtt' as const;
  private running = false;
  private published = 0;
  private errors = 0;
  private dropped = 0;

  constructor(
    private readonly config: MqttSinkConfig,
    private readonly context: SinkContext,
  ) {}

  get name(): string {
    return this.config.name;
  }

  async start(): Promise<void> {
    this.running = this.config.enabled;
  }

  async stop(): Promise<void> {
    this.running = false;
  }

  link(): LinkState {
    if (!this.config.enabled) return 'disabled';
    if (!this.running) return 'disconnected';
    return this.context.fleet.isConnected() ? 'connected' : 'disconnected';
  }

  publish(sample: GroupSample): void {
    if (!this.running) return;
    const { fleet, agentId } = this.context;
    if (!fleet.isConnected()) {
      this.dropped++;
      return;
    }
    const { settings } = this.config;
    const topic = renderTopic(settings.topic, { agent: agentId, sink: this.config.name, device: sample.device, group: sample.group.name });
    const payload = settings.format === 'tags' ? neuronTagsJson(sample) : neuronValuesJson(sample);
    fleet.publish(topic, payload, { qos: settings.qos, retain: settings.retain }).then(
      () => {
        this.published++;
      },
      () => {
        this.errors++;
      },
    );
  }

  stats(): SinkStats {
    return {
      name: this.config.name,
      kind: this.kind,
      link: this.link(),
      published: this.published,
      errors: this.errors,
      dropped: this.dropped,
      bufferDepth: 0,
      bufferOldestAgeMs: 0,
    };
  }
}
