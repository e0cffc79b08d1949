import type { PayloadFormat } from '@edgefleet/protocol';
import type { GroupSample } from '../../runtime/group-sample.js';
import { neuronParts, neuronTagsJson, neuronValuesJson } from './neuron-json.js';

export interface PayloadVars {
  agent: string;
  sink: string;
}

const PLACEHOLDER = /\{(agent|sink|device|group|timestamp|values|errors|tags)\}/g;

/**
 * A sample as the sink's format says: Neuron's `values` or `tags` JSON, or the sink's `custom`
 * template with `{values}`, `{errors}`, `{tags}` replaced by the JSON of those parts,
 * `{timestamp}` by the number, and `{agent}`, `{sink}`, `{device}`, `{group}` by the names,
 * JSON-escaped but without quotes (the template places them, usually inside a string).
 */
export function formatPayload(format: PayloadFormat, template: string | undefined, sample: GroupSample, vars: PayloadVars): string {
  if (format === 'tags') return neuronTagsJson(sample);
  if (format === 'values' || template === undefined) return neuronValuesJson(sample);
  let parts: ReturnType<typeof neuronParts> | undefined;
  const text = (s: string): string => JSON.stringify(s).slice(1, -1);
  return template.replace(PLACEHOLDER, (_, key: string) => {
    switch (key) {
      case 'agent':
        return text(vars.agent);
      case 'sink':
        return text(vars.sink);
      case 'device':
        return text(sample.device);
      case 'group':
        return text(sample.group.name);
      case 'timestamp':
        return String(sample.timestamp);
      default:
        parts ??= neuronParts(sample);
        return parts[key as 'values' | 'errors' | 'tags'];
    }
  });
}
