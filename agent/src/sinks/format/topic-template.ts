/** Fills `{agent}`, `{sink}`, `{device}`, `{group}`; names are validated to hold no topic separators. */
export function renderTopic(template: string, vars: { agent: string; sink: string; device: string; group: string }): string {
  return template.replace(/\{(agent|sink|device|group)\}/g, (_, key: keyof typeof vars) => vars[key]);
}
