/**
 * The sinks the northbound bench measures, built as the agent builds them: a config through the
 * protocol's `SinkSchema`, a `SinkContext`, and the agent's sink registry.
 *
 * Measured: the MQTT sink on a broker of the user's (its own MQTT.js connection,
 * `BrokerTransport`) and on the fleet broker (`FleetTransport` over the agent's connection, here
 * an MQTT.js client, see fleet-publisher.ts), both QoS 1, Neuron `values`.
 *
 * Sparkplug B is not measured yet (agent/src/sinks/sparkplug/): to add it, add a variant
 * with its config (`kind: 'sparkplug-b'`, `broker: { url }`, `groupId`) to `SINK_VARIANTS`,
 * `VARIANT_LABELS` and `buildSink`; the worker, the rounds and the report take it from there. AWS IoT Core and Azure IoT Hub are not measured: their SDKs
 * speak to the cloud services (AWS's over its own MQTT client and TLS, Azure's with SAS or X.509
 * authentication and IoT Hub's topics and acknowledgements), not to a plain local broker, so a
 * local figure would not be theirs (docs/benchmarks.md).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SinkSchema, type BufferSettings, type Sink as SinkConfig } from '@edgefleet/protocol';
import { createLogger } from '@edgefleet/agent';
import { BufferPool } from '../../../../agent/dist/sinks/buffer/buffer-pool.js';
import { defaultSinkRegistry } from '../../../../agent/dist/sinks/registry.js';
import type { FleetPublisher, Sink, SinkContext } from '../../../../agent/dist/sinks/sink.js';
import { MqttFleetPublisher } from './fleet-publisher.js';
import { AGENT_ID, SINK_NAME, TOPIC_TEMPLATE } from './load.js';

export const SINK_VARIANTS = ['mqtt-broker', 'mqtt-fleet'] as const;
export type SinkVariant = (typeof SINK_VARIANTS)[number];

export const VARIANT_LABELS: Record<SinkVariant, string> = {
  'mqtt-broker': 'MQTT sink, own connection (BrokerTransport)',
  'mqtt-fleet': 'MQTT sink on the fleet connection (FleetTransport)',
};

export interface BuiltSink {
  sink: Sink;
  context: SinkContext;
  config: SinkConfig;
  /** Stops the sink and closes the connection it borrowed. */
  close(): Promise<void>;
}

/** A fleet connection that is never up: for a sink that is not the fleet kind. */
const NO_FLEET: FleetPublisher = {
  isConnected: () => false,
  publish: () => Promise.reject(new Error('no fleet connection in this bench')),
  onConnectionChange: () => () => undefined,
};

export async function buildSink(variant: SinkVariant, brokerUrl: string, options: { stateDir?: string; buffer?: Partial<BufferSettings>; clientId?: string } = {}): Promise<BuiltSink> {
  // A state dir of its own unless given one; removed again by close().
  let ownDir: string | undefined;
  const stateDir = options.stateDir ?? (ownDir = await mkdtemp(path.join(os.tmpdir(), 'edgefleet-bench-nb-state-')));
  const clientId = options.clientId ?? `edgefleet-bench-${variant}-${process.pid}`;
  const fleet = variant === 'mqtt-fleet' ? await MqttFleetPublisher.connect(brokerUrl, clientId) : undefined;
  const settings = variant === 'mqtt-fleet' ? { broker: 'fleet', topic: TOPIC_TEMPLATE, qos: 1, format: 'values' } : { broker: { url: brokerUrl, clientId }, topic: TOPIC_TEMPLATE, qos: 1, format: 'values' };
  const config = SinkSchema.parse({ name: SINK_NAME, kind: 'mqtt', settings, ...(options.buffer ? { buffer: options.buffer } : {}) });
  const context: SinkContext = { agentId: AGENT_ID, fleet: fleet ?? NO_FLEET, log: createLogger('silent'), buffers: new BufferPool(path.join(stateDir, 'buffers')) };
  const sink = defaultSinkRegistry().create(config, context);
  return {
    sink,
    context,
    config,
    close: async () => {
      await sink.stop();
      await fleet?.end();
      if (ownDir) await rm(ownDir, { recursive: true, force: true });
    },
  };
}
