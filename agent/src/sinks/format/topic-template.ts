/** Fills `{agent}`, `{sink}`, `{device}`, `{group}`; names are validated to hold no topic separators. */
export function renderTopic(template: string, vars: { agent: string; sink: string; device: string; group: string }): string {
  return template.replace(/\{(agent|sink|device|group)\}/g, (_, key: keyof typeof vars) => vars[key]);
}

/**
 * The topic of each (group, device), rendered once: a sink publishes the same few topics many
 * times a second, and rendering one cost about as much as a tenth of formatting its payload.
 * Keyed by the group object, so a config change (new group objects) renders afresh.
 */
export function cachedTopics(render: (device: string, group: string) => string): (sample: { device: string; group: { name: string } }) => string {
  const cache = new WeakMap<object, Map<string, string>>();
  return (sample) => {
    let byDevice = cache.get(sample.group);
    if (!byDevice) {
      byDevice = new Map();
      cache.set(sample.group, byDevice);
    }
    let topic = byDevice.get(sample.device);
    if (topic === undefined) {
      topic = render(sample.device, sample.group.name);
      byDevice.set(sample.device, topic);
    }
    return topic;
  };
}
