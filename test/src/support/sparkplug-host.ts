/**
 * A Sparkplug B host application for tests: a plain MQTT.js client subscribed to `spBv1.0/#`
 * that decodes every payload with Eclipse Tahu's `sparkplug-payload`, in arrival order.
 */
import mqtt, { type MqttClient } from 'mqtt';
import tahu from 'sparkplug-payload/lib/sparkplugbpayload.js';
import type { UMetric } from 'sparkplug-payload/lib/sparkplugbpayload.js';
import { eventually } from './eventually.js';

/** One message as the host application decoded it. */
export interface SpMessage {
  topic: string;
  type: string;
  node: string;
  device: string | undefined;
  seq: number | undefined;
  metrics: UMetric[];
}

/** uint64 fields decode as Long (or number); read them as a bigint. */
export function big(v: unknown): bigint {
  if (typeof v === 'number') return BigInt(v);
  if (v !== null && typeof v === 'object' && 'toString' in v) return BigInt(String(v));
  throw new Error(`not an integer: ${String(v)}`);
}

export const bdSeqOf = (m: SpMessage): bigint => big(m.metrics.find((x) => x.name === 'bdSeq')?.value);
export const historical = (m: SpMessage): boolean[] => m.metrics.map((x) => x.isHistorical === true);

/** A Sparkplug host application: every message under `spBv1.0/#`, decoded, in arrival order. */
export class Host {
  readonly got: SpMessage[] = [];
  private constructor(readonly client: MqttClient) {}

  /** `options`: e.g. a persistent MQTT 5 session that outlives a broker restart. */
  static async connect(url: string, options: mqtt.IClientOptions = { reconnectPeriod: 0 }): Promise<Host> {
    const client = await mqtt.connectAsync(url, options);
    const host = new Host(client);
    client.on('message', (topic, payload) => {
      const [, , type = '', node = '', device] = topic.split('/');
      // Commands the host sent itself may be deliberately malformed: kept without metrics.
      let decoded: ReturnType<typeof tahu.decodePayload> | undefined;
      try {
        decoded = tahu.decodePayload(payload);
      } catch {
        decoded = undefined;
      }
      const seq = decoded?.seq;
      host.got.push({ topic, type, node, device, seq: seq === undefined || seq === null ? undefined : Number(big(seq)), metrics: decoded?.metrics ?? [] });
    });
    await client.subscribeAsync('spBv1.0/#', { qos: 1 });
    return host;
  }

  /** What the edge node `node` published (the host's own commands left out). */
  of(node: string, ...types: string[]): SpMessage[] {
    return this.got.filter((m) => m.node === node && !m.type.endsWith('CMD') && (types.length === 0 || types.includes(m.type)));
  }

  async waitFor(node: string, what: string, check: (messages: SpMessage[]) => boolean, timeoutMs = 15_000): Promise<SpMessage[]> {
    return eventually(async () => (check(this.of(node)) ? this.of(node) : undefined), what, timeoutMs, 20);
  }

  /** The aliases of a device's metrics, as its last DBIRTH tells them. */
  aliases(node: string, device: string): Map<string, number> {
    const birth = this.of(node, 'DBIRTH').filter((m) => m.device === device).at(-1);
    if (!birth) throw new Error(`no DBIRTH of ${device}`);
    return new Map(birth.metrics.map((m) => [m.name ?? '', Number(big(m.alias))]));
  }

  /** The metrics of a device's DDATA, by name (through the aliases of its DBIRTH before each). */
  data(node: string, device: string): Array<{ name: string; value: unknown; historical: boolean }> {
    const out: Array<{ name: string; value: unknown; historical: boolean }> = [];
    let names = new Map<number, string>();
    for (const m of this.of(node)) {
      if (m.device !== device) continue;
      if (m.type === 'DBIRTH') names = new Map(m.metrics.map((x) => [Number(big(x.alias)), x.name ?? '']));
      if (m.type === 'DDATA') for (const x of m.metrics) out.push({ name: names.get(Number(big(x.alias))) ?? '?', value: x.value, historical: x.isHistorical === true });
    }
    return out;
  }

  async command(topic: string, payload: Uint8Array): Promise<void> {
    await this.client.publishAsync(topic, Buffer.from(payload), { qos: 1 });
  }

  async close(): Promise<void> {
    await this.client.endAsync();
  }
}
