import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { percentile, round } from '../stats.js';
import { startChild } from '../southbound/children.js';
import type { LocalBroker } from './broker.js';
import type { PublishResult } from './publish-worker.js';
import { SINK_VARIANTS, VARIANT_LABELS, type SinkVariant } from './sinks.js';

const here = path.dirname(fileURLToPath(import.meta.url));

export interface PublishRateOptions {
  broker: LocalBroker;
  rounds: number;
  seconds: number;
  tags: number;
  cpuProfDir?: string;
  log: (line: string) => void;
}

interface ModeSummary {
  runs: number;
  messagesPerSecond: number;
  messagesPerSecondEach: number[];
  megabytesPerSecond: number;
  cpuPercent: number;
  cpuMicrosPerMessage: number;
  brokerCpuMicrosPerMessage: number;
  errors: number;
}

export interface SinkRate extends ModeSummary {
  label: string;
  ratioToRaw: number;
  /** Each round's rate over the raw run just before it. */
  ratioEach: number[];
  /** Raw's CPU per message over the sink's: the ratio if both were CPU-bound; a busy machine moves it far less. */
  cpuEfficiencyToRaw: number;
  /** Most messages seen waiting in the buffer in any run (0: everything went straight out). */
  maxBuffered: number;
  dropped: number;
}

export interface PublishRateResult {
  tags: number;
  payloadBytes: number;
  window: number;
  qos: 1;
  raw: ModeSummary;
  sinks: Partial<Record<SinkVariant, SinkRate>>;
}

function summarise(results: Array<PublishResult & { brokerCpuSeconds: number }>): ModeSummary {
  const rates = results.map((r) => r.messages / r.seconds);
  const payload = results[0]?.payloadBytes ?? 0;
  return {
    runs: results.length,
    messagesPerSecond: Math.round(percentile(rates, 50)),
    messagesPerSecondEach: rates.map((x) => Math.round(x)),
    megabytesPerSecond: round((percentile(rates, 50) * payload) / 1e6, 1),
    cpuPercent: round(percentile(results.map((r) => (r.cpuSeconds / r.seconds) * 100), 50)),
    cpuMicrosPerMessage: round(percentile(results.map((r) => (r.cpuSeconds * 1e6) / Math.max(1, r.messages)), 50), 2),
    brokerCpuMicrosPerMessage: round(percentile(results.map((r) => (r.brokerCpuSeconds * 1e6) / Math.max(1, r.messages)), 50), 2),
    errors: results.reduce((n, r) => n + r.errors, 0),
  };
}

/**
 * Section 1: a raw MQTT.js QoS 1 loop and each sink, publishing the same payloads to the same
 * Mosquitto, interleaved round by round (raw, broker sink, fleet sink, raw, …) so a noisy
 * neighbour hurts all alike; each measurement is its own process.
 */
export async function runPublishRate(opts: PublishRateOptions): Promise<PublishRateResult> {
  const work = async (mode: 'raw' | SinkVariant): Promise<PublishResult & { brokerCpuSeconds: number }> => {
    const nodeArgs = opts.cpuProfDir && mode !== 'raw' ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`, `--cpu-prof-name=publish-${mode}-${Date.now()}.cpuprofile`] : [];
    const args = [...nodeArgs, path.join(here, 'publish-worker.js'), '--mode', mode, '--url', opts.broker.url, '--tags', String(opts.tags), '--seconds', String(opts.seconds)];
    const child = startChild(`publish-${mode}`, process.execPath, args, { keepStdin: false });
    try {
      // The broker's CPU over the whole run (warm-up included), prorated to the window below.
      const b0 = await opts.broker.cpuSeconds();
      const t0 = performance.now();
      const result = await child.waitForJson((m) => m.result as PublishResult | undefined, opts.seconds * 1000 + 60_000, `the ${mode} result`);
      const brokerRate = ((await opts.broker.cpuSeconds()) - b0) / ((performance.now() - t0) / 1000);
      await Promise.race([child.exited, new Promise((r) => setTimeout(r, 15_000).unref())]);
      return { ...result, brokerCpuSeconds: brokerRate * result.seconds };
    } finally {
      await child.stop();
    }
  };
  const raw: Array<PublishResult & { brokerCpuSeconds: number }> = [];
  const sinks = new Map<SinkVariant, Array<PublishResult & { brokerCpuSeconds: number }>>();
  const fmt = (r: PublishResult) => `${Math.round(r.messages / r.seconds).toLocaleString('en')} msg/s (CPU ${round((r.cpuSeconds / r.seconds) * 100)}%, ${round((r.cpuSeconds * 1e6) / Math.max(1, r.messages), 1)} µs/msg)`;
  for (let n = 1; n <= opts.rounds; n++) {
    const r = await work('raw');
    raw.push(r);
    opts.log(`round ${n}: raw mqtt.js ${fmt(r)}`);
    for (const variant of SINK_VARIANTS) {
      const s = await work(variant);
      sinks.set(variant, [...(sinks.get(variant) ?? []), s]);
      opts.log(`round ${n}: ${variant} ${fmt(s)}${s.buffered ? `, up to ${s.buffered} buffered` : ''}`);
    }
  }
  const rawSummary = summarise(raw);
  const result: PublishRateResult = { tags: opts.tags, payloadBytes: raw[0]?.payloadBytes ?? 0, window: 100, qos: 1, raw: rawSummary, sinks: {} };
  for (const [variant, runs] of sinks) {
    const s = summarise(runs);
    result.sinks[variant] = {
      label: VARIANT_LABELS[variant],
      ...s,
      ratioToRaw: round(s.messagesPerSecond / rawSummary.messagesPerSecond, 3),
      ratioEach: runs.map((x, i) => round(x.messages / x.seconds / ((raw[i] as PublishResult).messages / (raw[i] as PublishResult).seconds), 3)),
      cpuEfficiencyToRaw: round(rawSummary.cpuMicrosPerMessage / s.cpuMicrosPerMessage, 3),
      maxBuffered: Math.max(0, ...runs.map((x) => x.buffered ?? 0)),
      dropped: runs.reduce((n, x) => n + (x.dropped ?? 0), 0),
    };
  }
  return result;
}
