/**
 * What the northbound bench publishes: one device's group of float tags, as the runner hands it
 * to the sinks (a `GroupSample`), and the same samples as Neuron `values` payloads for the raw
 * loop, so both sides send the same bytes on the same topic.
 */
import { DEFAULT_FLEET_DATA_TOPIC, GroupSchema, type Group, type TagValue } from '@edgefleet/protocol';
import type { GroupSample } from '../../../../agent/dist/runtime/group-sample.js';
import { neuronValuesJson } from '../../../../agent/dist/sinks/format/neuron-json.js';
import { renderTopic } from '../../../../agent/dist/sinks/format/topic-template.js';

export const AGENT_ID = '00000000-0000-4000-8000-0000000000b1';
export const SINK_NAME = 'bench';
export const DEVICE = 'press-01';
/** The fleet data topic, which the broker sink uses too: one topic (and length) for every side. */
export const TOPIC_TEMPLATE = DEFAULT_FLEET_DATA_TOPIC;

/** A group of `tags` float64 tags named like a PLC's (`tag_0000`, …). */
export function benchGroup(tags: number): Group {
  return GroupSchema.parse({
    name: `g${tags}`,
    intervalMs: 1000,
    tags: Array.from({ length: tags }, (_, i) => ({ name: `tag_${String(i).padStart(4, '0')}`, address: `40${String(i + 1).padStart(3, '0')}`, type: 'float64' })),
  });
}

export function topicOf(group: Group): string {
  return renderTopic(TOPIC_TEMPLATE, { agent: AGENT_ID, sink: SINK_NAME, device: DEVICE, group: group.name });
}

const VARIANTS = 16;

/**
 * Samples of one group, each with the next timestamp (ms, + 1 per sample: a consumer checks the
 * order with it) and values of a process that moves (three decimals, as a scaled float reads).
 * A few value sets are made up front and reused, so the feeder costs next to nothing.
 */
export class SampleSource {
  private readonly sets: Array<Array<TagValue | undefined>>;
  private n = 0;

  constructor(
    readonly group: Group,
    readonly firstTimestamp = 1_700_000_000_000,
  ) {
    this.sets = Array.from({ length: VARIANTS }, (_, k) => group.tags.map((_, i) => Math.round((1000 + 250 * Math.sin(i * 0.7 + k * 0.3) + i) * 1000) / 1000));
  }

  /** How many samples were made. */
  get count(): number {
    return this.n;
  }

  next(): GroupSample {
    const k = this.n++;
    return { device: DEVICE, group: this.group, timestamp: this.firstTimestamp + k, values: this.sets[k % VARIANTS]!, errors: new Map() };
  }
}

/** `count` Neuron `values` payloads of the group, as the sink formats them. */
export function valuesPayloads(group: Group, count = VARIANTS): Buffer[] {
  const source = new SampleSource(group);
  return Array.from({ length: count }, () => Buffer.from(neuronValuesJson(source.next())));
}

/** Reads the timestamp at the head of a Neuron payload without parsing the rest. */
export function timestampOf(payload: Buffer): number {
  const head = payload.toString('latin1', 0, 40);
  const m = /^\{"timestamp":(\d+)/.exec(head);
  return m ? Number(m[1]) : Number.NaN;
}
