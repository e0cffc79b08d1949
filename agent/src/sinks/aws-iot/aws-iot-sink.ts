import type { Sink as SinkConfig } from '@edgefleet/protocol';
import { formatPayload } from '../format/payload.js';
import { cachedTopics, renderTopic } from '../format/topic-template.js';
import { PipelineSink } from '../pipeline/pipeline-sink.js';
import type { Sink, SinkContext } from '../sink.js';
import { AwsIotTransport, awsTopic } from './aws-iot-transport.js';

type AwsSinkConfig = Extract<SinkConfig, { kind: 'aws-iot' }>;

/**
 * The AWS IoT Core sink: MQTT 5 over mutual TLS with the thing's certificate, on the topic
 * template (or through Basic Ingest, `$aws/rules/{rule}/…`), with Neuron-shaped writes on the
 * sink's write topic.
 */
export function createAwsIotSink(config: AwsSinkConfig, context: SinkContext): Sink {
  const { settings } = config;
  const transport = new AwsIotTransport(settings, { agentId: context.agentId, sinkName: config.name, log: context.log });
  const vars = { agent: context.agentId, sink: config.name };
  return new PipelineSink({
    config,
    context,
    transport,
    topicOf: cachedTopics((device, group) => awsTopic(settings, renderTopic(settings.topic, { ...vars, device, group }))),
    payloadOf: (s) => formatPayload(settings.format, settings.template, s, vars),
  });
}
