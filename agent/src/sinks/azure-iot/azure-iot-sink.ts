import type { Sink as SinkConfig } from '@edgefleet/protocol';
import { formatPayload } from '../format/payload.js';
import { cachedTopics } from '../format/topic-template.js';
import { PipelineSink, type PipelineSinkOptions } from '../pipeline/pipeline-sink.js';
import type { AgentStatusReport, Sink, SinkContext } from '../sink.js';
import { AzureIotTransport } from './azure-iot-transport.js';

type AzureSinkConfig = Extract<SinkConfig, { kind: 'azure-iot' }>;

/** The twin's reported property under which the agent's status goes. */
export const STATUS_PROPERTY = 'edgefleet';

export interface AzureIotSinkOptions {
  /** How often the status is checked and reported when it changed; default 60 s. */
  statusIntervalMs?: number;
}

/**
 * The Azure IoT Hub sink: device-to-cloud messages (IoT Hub has no topics: the routing key
 * `{device}/{group}` becomes the message's application properties), writes from cloud-to-device
 * messages and the direct method `write`, and the agent's status in the device twin's reported
 * properties (`edgefleet`), reported on every connect and again whenever it changed.
 */
export function createAzureIotSink(config: AzureSinkConfig, context: SinkContext, options: AzureIotSinkOptions = {}): Sink {
  const { settings } = config;
  const transport = new AzureIotTransport(settings, { agentId: context.agentId, sinkName: config.name, log: context.log });
  const vars = { agent: context.agentId, sink: config.name };
  return new AzureIotSink(
    {
      config,
      context,
      transport,
      topicOf: cachedTopics((device, group) => `${device}/${group}`),
      payloadOf: (s) => formatPayload(settings.format, settings.template, s, vars),
    },
    transport,
    context.status,
    options.statusIntervalMs ?? 60_000,
  );
}

class AzureIotSink extends PipelineSink {
  private timer: NodeJS.Timeout | undefined;
  /** The status IoT Hub has, so an unchanged one is not sent again; undefined: not known on this connection. */
  private reported: { json: string; status: AgentStatusReport } | undefined;
  private reporting = false;

  constructor(
    options: PipelineSinkOptions,
    private readonly azure: AzureIotTransport,
    private readonly status: (() => AgentStatusReport) | undefined,
    private readonly intervalMs: number,
  ) {
    super(options);
    azure.onLinkChange((link) => {
      if (link !== 'connected') return;
      // What the twin holds is not known on a new connection (a restarted agent, a restored device).
      this.reported = undefined;
      void this.report();
    });
  }

  override async start(): Promise<void> {
    await super.start();
    if (this.status && !this.timer) this.timer = setInterval(() => void this.report(), this.intervalMs).unref();
  }

  override async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await super.stop();
  }

  private async report(): Promise<void> {
    if (!this.status || this.reporting || this.azure.link() !== 'connected') return;
    const status = this.status();
    const json = JSON.stringify(status);
    const before = this.reported;
    if (json === before?.json) return;
    this.reporting = true;
    try {
      // IoT Hub merges a patch into the reported properties (RFC 7386): a device or sink no longer
      // in the config is removed with null. Not knowing what the twin holds, clear it first.
      if (!before && !(await this.azure.reportStatus({ [STATUS_PROPERTY]: null }))) return;
      const patch = before ? withRemovals(status, before.status) : status;
      if (await this.azure.reportStatus({ [STATUS_PROPERTY]: patch })) this.reported = { json, status: JSON.parse(json) as AgentStatusReport };
    } finally {
      this.reporting = false;
    }
  }
}

/** `status` as a merge patch over `before`: devices and sinks gone since are set to null. */
function withRemovals(status: AgentStatusReport, before: AgentStatusReport): Record<string, unknown> {
  const gone = (now: Record<string, unknown>, then: Record<string, unknown>) => Object.fromEntries(Object.keys(then).filter((k) => !(k in now)).map((k) => [k, null]));
  return { ...status, devices: { ...gone(status.devices, before.devices), ...status.devices }, sinks: { ...gone(status.sinks, before.sinks), ...status.sinks } };
}
