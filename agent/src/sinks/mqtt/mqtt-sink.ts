import type { Sink as SinkConfig } from '@edgefleet/protocol';
import { formatPayload } from '../format/payload.js';
import { cachedTopics, renderTopic } from '../format/topic-template.js';
import { PipelineSink } from '../pipeline/pipeline-sink.js';
import type { Sink, SinkContext } from '../sink.js';
import { BrokerTransport } from './broker-transport.js';
import { FleetTransport } from './fleet-transport.js';

type MqttSinkConfig = Extract<SinkConfig, { kind: 'mqtt' }>;

/**
 * The MQTT sink: Neuron-compatible payloads (or a template of the user's) on a topic template,
 * over the agent's own connection to the fleet broker (`broker: 'fleet'`) or a connection of the
 * sink's own to the user's broker.
 */
export function createMqttSink(config: MqttSinkConfig, context: SinkContext): Sink {
  const { settings } = config;
  const vars = { agent: context.agentId, sink: config.name };
  // Write topics have only {agent} and {sink}.
  const topicVars = { ...vars, device: '', group: '' };
  const transport =
    settings.broker === 'fleet'
      ? new FleetTransport(context.fleet, { qos: settings.qos, retain: settings.retain })
      : new BrokerTransport({
          broker: settings.broker,
          clientId: settings.broker.clientId ?? `edgefleet-${context.agentId}-${config.name}`,
          qos: settings.qos,
          retain: settings.retain,
          log: context.log.child({ sink: config.name }),
          ...(settings.writeTopic && settings.writeResponseTopic ? { writes: { request: renderTopic(settings.writeTopic, topicVars), response: renderTopic(settings.writeResponseTopic, topicVars) } } : {}),
        });
  return new PipelineSink({
    config,
    context,
    transport,
    topicOf: cachedTopics((device, group) => renderTopic(settings.topic, { ...vars, device, group })),
    payloadOf: (s) => formatPayload(settings.format, settings.template, s, vars),
  });
}
