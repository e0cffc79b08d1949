import { ErrorCode, type Sink as SinkConfig } from '@edgefleet/protocol';
import { AgentError, errorMessage } from '../util/errors.js';
import { createAwsIotSink } from './aws-iot/aws-iot-sink.js';
import { createAzureIotSink } from './azure-iot/azure-iot-sink.js';
import { createMqttSink } from './mqtt/mqtt-sink.js';
import { createSparkplugSink } from './sparkplug/sparkplug-sink.js';
import type { Sink, SinkContext, SinkFactory } from './sink.js';

/** Maps a sink kind to its factory; a kind not in this build answers DRIVER_UNAVAILABLE. */
export class SinkRegistry {
  private readonly factories = new Map<string, SinkFactory>();

  register(kind: SinkConfig['kind'], factory: SinkFactory): this {
    this.factories.set(kind, factory);
    return this;
  }

  create(config: SinkConfig, context: SinkContext): Sink {
    const factory = this.factories.get(config.kind);
    if (!factory) {
      throw new AgentError(ErrorCode.DRIVER_UNAVAILABLE, `sink '${config.name}': kind '${config.kind}' is not available in this agent build`);
    }
    try {
      return factory(config, context);
    } catch (err) {
      // Settings the agent cannot use (e.g. a client key that does not parse): the apply fails, naming the sink.
      if (err instanceof AgentError) throw new AgentError(err.code, `sink '${config.name}': ${err.message}`, err.details);
      throw new AgentError(ErrorCode.CONFIG_APPLY_FAILED, `sink '${config.name}': ${errorMessage(err)}`);
    }
  }
}

export function defaultSinkRegistry(): SinkRegistry {
  return new SinkRegistry()
    .register('mqtt', (config, context) => {
      if (config.kind !== 'mqtt') throw new Error('mqtt factory called for another kind');
      return createMqttSink(config, context);
    })
    .register('sparkplug-b', (config, context) => {
      if (config.kind !== 'sparkplug-b') throw new Error('sparkplug-b factory called for another kind');
      return createSparkplugSink(config, context);
    })
    .register('aws-iot', (config, context) => {
      if (config.kind !== 'aws-iot') throw new Error('aws-iot factory called for another kind');
      return createAwsIotSink(config, context);
    })
    .register('azure-iot', (config, context) => {
      if (config.kind !== 'azure-iot') throw new Error('azure-iot factory called for another kind');
      return createAzureIotSink(config, context);
    });
}
