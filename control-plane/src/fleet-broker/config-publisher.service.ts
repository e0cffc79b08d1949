import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import { topics, type ConfigMessage } from '@edgefleet/protocol';
import { ROOT_LOGGER } from '../common/logging/logger.js';
import { ConfigRevisionRepository, type DesiredConfig } from '../configs/config-revision.repository.js';
import { ConfigSecrets } from '../configs/config-secrets.service.js';
import { FleetBrokerService } from './fleet-broker.service.js';
import { KeyedSerialQueue } from './keyed-serial-queue.js';

const REPUBLISH_PAGE = 500;

/** The config message of a desired revision; `document` is the plaintext one, secrets and all: the agent needs them. */
export function toConfigMessage(d: DesiredConfig, document: unknown): ConfigMessage {
  // issuedAt is the revision's creation time, so a republished message is byte-for-byte the same.
  return { revision: d.revision, sha256: d.sha256, document, issuedAt: d.createdAt.toISOString() };
}

/**
 * Publishes desired configs: retained, QoS 1, on `ef/v1/{agentId}/config`. On every (re)connect it
 * republishes every agent's desired config, page by page, because an embedded broker forgets
 * retained messages when it restarts; agents ignore a revision they already run. Stored secrets
 * are opened just before publishing; the message (which holds them) is never logged.
 */
@Injectable()
export class ConfigPublisher implements OnModuleInit {
  private readonly log: Logger;
  private readonly queue = new KeyedSerialQueue();
  /** Newest revision this replica published per agent. */
  private readonly published = new Map<string, number>();

  constructor(
    private readonly broker: FleetBrokerService,
    private readonly revisions: ConfigRevisionRepository,
    private readonly secrets: ConfigSecrets,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.log = root.child({ component: 'config-publisher' });
  }

  onModuleInit(): void {
    this.broker.onConnect(() => this.republishAll());
  }

  /** Publishes without failing the caller: if the broker is away, the next connect republishes. */
  async publish(configs: DesiredConfig[]): Promise<void> {
    if (!this.broker.connected) {
      this.log.debug({ count: configs.length }, 'broker not connected; configs go out on reconnect');
      return;
    }
    const results = await Promise.allSettled(configs.map((d) => this.publishOne(d)));
    const failed = results.filter((r) => r.status === 'rejected').length;
    if (failed > 0) this.log.warn({ failed, total: configs.length }, 'some configs were not published; they go out on reconnect');
  }

  /**
   * Two quick PUTs for one agent may reach this point out of order; publishing the older one last
   * would leave it as the retained config. Per agent, publishes run in order and a revision older
   * than one already published is skipped.
   */
  private publishOne(d: DesiredConfig): Promise<void> {
    return this.queue.run(d.agentId, async () => {
      if ((this.published.get(d.agentId) ?? 0) > d.revision) return;
      let document: unknown;
      try {
        document = this.secrets.openRevision(d);
      } catch (err) {
        // Retrying cannot help: the master key is not the one the secrets were sealed with, or the row was altered.
        this.log.error({ agentId: d.agentId, revision: d.revision, err: (err as Error).message }, 'the config cannot be published: its secrets do not open');
        throw err;
      }
      await this.broker.publish(topics.config(d.agentId), JSON.stringify(toConfigMessage(d, document)), { qos: 1, retain: true });
      this.published.set(d.agentId, d.revision);
    });
  }

  /** Clears an agent's retained config (an empty retained payload deletes it [MQTT-3.3.1-10]). */
  async clear(agentId: string): Promise<void> {
    this.published.delete(agentId);
    if (!this.broker.connected) return;
    await this.broker.publish(topics.config(agentId), '', { qos: 1, retain: true }).catch((err: Error) => {
      this.log.debug({ agentId, err: err.message }, 'could not clear the retained config');
    });
  }

  async republishAll(): Promise<void> {
    let after: string | null = null;
    let total = 0;
    for (;;) {
      const page: DesiredConfig[] = await this.revisions.pageDesired(after, REPUBLISH_PAGE);
      if (page.length === 0) break;
      await Promise.all(page.map((d) => this.publishOne(d)));
      total += page.length;
      after = (page[page.length - 1] as DesiredConfig).agentId;
      if (page.length < REPUBLISH_PAGE) break;
    }
    this.log.info({ agents: total }, 'republished desired configs');
  }
}
