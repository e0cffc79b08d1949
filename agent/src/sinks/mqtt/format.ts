import type { GroupValues, MqttSinkSettings, NeuronTagsPayload, NeuronValuesPayload } from '@edgefleet/protocol';

/** Neuron `values` format, so eKuiper rules and Neuron consumers read it unchanged (node = device). */
export function toNeuronValues(gv: GroupValues): NeuronValuesPayload {
  return { timestamp: gv.timestamp, node: gv.device, group: gv.group, values: gv.values, errors: gv.errors, metas: {} };
}

/** Neuron `tags` format: one entry per tag, a value or an error. */
export function toNeuronTags(gv: GroupValues): NeuronTagsPayload {
  const tags: NeuronTagsPayload['tags'] = [];
  for (const [name, value] of Object.entries(gv.values)) tags.push({ name, value });
  for (const [name, error] of Object.entries(gv.errors)) if (!(name in gv.values)) tags.push({ name, error });
  return { timestamp: gv.timestamp, node: gv.device, group: gv.group, tags };
}

export function formatPayload(format: MqttSinkSettings['format'], gv: GroupValues): string {
  return JSON.stringify(format === 'tags' ? toNeuronTags(gv) : toNeuronValues(gv));
}

/** Fills `{agent}`, `{sink}`, `{device}`, `{group}`; names are validated to hold no topic separators. */
export function renderTopic(template: string, vars: { agent: string; sink: string; device: string; group: string }): string {
  return template.replace(/\{(agent|sink|device|group)\}/g, (_, key: keyof typeof vars) => vars[key]);
}
