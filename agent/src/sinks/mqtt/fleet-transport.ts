import type { LinkState } from '@edgefleet/protocol';
import type { FleetPublisher } from '../sink.js';
import type { OutboundMessage, SinkTransport } from '../transport/transport.js';

/**
 * A sink's transport over the agent's own connection to the fleet broker (`broker: 'fleet'`):
 * the control channel owns the connection; the sink only publishes on it and hears when it
 * comes and goes.
 */
export class FleetTransport implements SinkTransport {
  private readonly listeners: Array<(link: LinkState) => void> = [];
  private unsubscribe: (() => void) | undefined;
  private running = false;

  constructor(
    private readonly fleet: FleetPublisher,
    private readonly options: { qos: 0 | 1; retain: boolean },
  ) {}

  start(): void {
    this.running = true;
    this.unsubscribe = this.fleet.onConnectionChange(() => {
      const link = this.link();
      for (const l of this.listeners) l(link);
    });
    if (this.fleet.isConnected()) for (const l of this.listeners) l('connected');
  }

  async stop(): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  link(): LinkState {
    return this.running && this.fleet.isConnected() ? 'connected' : 'disconnected';
  }

  lastError(): string | null {
    return this.link() === 'connected' ? null : 'the agent is not connected to the fleet broker';
  }

  onLinkChange(listener: (link: LinkState) => void): void {
    this.listeners.push(listener);
  }

  send(message: OutboundMessage): Promise<void> {
    if (!this.running) return Promise.reject(new Error('the sink is stopped'));
    return this.fleet.publish(message.topic, message.payload, this.options);
  }
}
