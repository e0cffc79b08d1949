import {
  AgentConfigSchema,
  ConfigMessageSchema,
  configDigest,
  describeIssues,
  ErrorCode,
  parseJsonWith,
  parseWith,
  type AgentConfig,
  type ApplyStatus,
  type WireError,
} from '@edgefleet/protocol';
import type { Logger } from '../log.js';
import { errorMessage } from '../util/errors.js';
import type { ApplyEngine } from './apply-engine.js';
import type { LastGoodStore } from './last-good-store.js';

export type ConfigSource = 'disk' | 'broker';

/** The outcome part of the reported state. */
export interface ApplyState {
  appliedRevision: number | null;
  appliedSha256: string | null;
  status: ApplyStatus;
  revision: number | null;
  error: WireError | null;
  source: ConfigSource | null;
  config: AgentConfig | null;
}

export interface ConfigReconcilerOptions {
  engine: ApplyEngine;
  store: LastGoodStore;
  log: Logger;
  /** Called after every state change worth reporting (applying, applied, rejected, failed). */
  onChange?: (state: Readonly<ApplyState>) => void;
}

/**
 * The control channel's delivery rules, independent of MQTT: apply a config only if its
 * revision is newer than anything already acted on and its digest matches; reject invalid ones
 * with every failing path; never retry a revision that was rejected or failed. Messages are
 * handled one at a time in arrival order.
 */
export class ConfigReconciler {
  private current: ApplyState = { appliedRevision: null, appliedSha256: null, status: 'applied', revision: null, error: null, source: null, config: null };
  /** Highest revision acted on (applied, rejected or failed): anything at or below is stale. */
  private handledRevision = 0;
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly options: ConfigReconcilerOptions) {}

  state(): Readonly<ApplyState> {
    return this.current;
  }

  /** Resolves once every message received so far has been handled (used before stopping). */
  idle(): Promise<void> {
    return this.queue;
  }

  /** Runs the persisted last good config, before and without any network. */
  async boot(): Promise<void> {
    const { log, store } = this.options;
    const loaded = await store.load();
    if (loaded.kind === 'none') return;
    if (loaded.kind === 'corrupt') {
      log.error({ path: store.path, problem: loaded.message }, 'ignoring unreadable last good config');
      return;
    }
    const { revision, sha256, document } = loaded.value;
    const parsed = parseWith(AgentConfigSchema, document);
    if (!parsed.ok || configDigest(document) !== sha256) {
      log.error({ revision, problem: parsed.ok ? 'digest mismatch' : describeIssues(parsed.issues) }, 'ignoring last good config that no longer validates');
      return;
    }
    const result = await this.options.engine.apply(parsed.value);
    this.handledRevision = revision;
    if (result.ok) {
      this.update({ appliedRevision: revision, appliedSha256: sha256, status: 'applied', revision, error: null, source: 'disk', config: parsed.value });
      log.info({ revision }, 'running last good config from disk');
    } else {
      this.update({ status: 'failed', revision, error: result.error });
      log.error({ revision, error: result.error }, 'last good config could not be started');
    }
  }

  /** Accepts a raw `config` message payload; resolves once it has been handled. */
  handleMessage(payload: string | Uint8Array): Promise<void> {
    const run = this.queue.then(() => this.process(payload));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async process(payload: string | Uint8Array): Promise<void> {
    const { log, engine, store } = this.options;
    const message = parseJsonWith(ConfigMessageSchema, payload);
    if (!message.ok) {
      log.warn({ problem: describeIssues(message.issues) }, 'ignoring malformed config message');
      return;
    }
    const { revision, sha256, document } = message.value;
    if (revision <= this.handledRevision || (this.current.appliedRevision !== null && revision <= this.current.appliedRevision)) {
      log.debug({ revision, handled: this.handledRevision }, 'ignoring stale or duplicate config');
      return;
    }
    this.handledRevision = revision;

    if (configDigest(document) !== sha256) {
      this.reject(revision, { code: ErrorCode.CONFIG_DIGEST_MISMATCH, message: `revision ${revision}: the sha256 does not match the document` });
      return;
    }
    const parsed = parseWith(AgentConfigSchema, document);
    if (!parsed.ok) {
      this.reject(revision, { code: ErrorCode.CONFIG_INVALID, message: `revision ${revision} is not valid: ${describeIssues(parsed.issues)}`, issues: parsed.issues });
      return;
    }

    this.update({ status: 'applying', revision, error: null });
    const result = await engine.apply(parsed.value);
    if (!result.ok) {
      log.error({ revision, error: result.error }, 'config could not be applied; keeping the previous one');
      this.update({ status: 'failed', revision, error: result.error });
      return;
    }
    try {
      await store.save({ revision, sha256, document, appliedAt: new Date().toISOString() });
    } catch (err) {
      // The config runs; only its survival across a reboot is at risk, which the log must say.
      log.error({ revision, err: errorMessage(err) }, 'could not persist the last good config');
    }
    log.info({ revision, started: result.started, stopped: result.stopped, kept: result.kept }, 'config applied');
    this.update({ appliedRevision: revision, appliedSha256: sha256, status: 'applied', revision, error: null, source: 'broker', config: parsed.value });
  }

  private reject(revision: number, error: WireError): void {
    this.options.log.warn({ revision, code: error.code, problem: error.message }, 'config rejected; keeping the previous one');
    this.update({ status: 'rejected', revision, error });
  }

  private update(patch: Partial<ApplyState>): void {
    this.current = { ...this.current, ...patch };
    this.options.onChange?.(this.current);
  }
}
