import type { Sink as SinkConfig } from '@edgefleet/protocol';
import { formatPayload } from '../format/payload.js';
import { PipelineSink } from '../pipeline/pipeline-sink.js';
import type { Sink, SinkContext } from '../sink.js';
import { AzureIotTransport } from './azure-iot-transport.js';

type AzureSinkConfig = Extract<SinkConfig, { kind: 'azure-iot' }>;

/**
 * The Azure IoT Hub sink: device-to-cloud messages (IoT Hub has no topics: the routing key
 * `{device}/{group}` becomes the message's application properties), writes from cloud-to-device
 * messages and the direct method `write`.
 */
export function createAzureIotSink(config: AzureSinkConfig, context: SinkContext): Sink {
  const { settings } = config;
  const transport = new AzureIotTransport(settings, { agentId: context.agentId, sinkName: config.name, log: context.log });
  const vars = { agent: context.agentId, sink: config.name };
  return new PipelineSink({
    config,
    context,
    transport,
    topicOf: (s) => `${s.device}/${s.group.name}`,
    payloadOf: (s) => formatPayload(settings.format, settings.template, s, vars),
  });
}
