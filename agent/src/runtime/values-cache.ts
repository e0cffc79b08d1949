import type { GroupValues } from '@edgefleet/protocol';

/** The latest values of every group, for `read-values` commands. */
export class ValuesCache {
  private readonly latest = new Map<string, GroupValues>();

  /**
   * Merges a group's read into what is known: a poll carries every tag, a subscription delivery
   * only the tags that changed, so each tag keeps its latest value or error.
   */
  put(values: GroupValues): void {
    const key = `${values.device}\u0000${values.group}`;
    const known = this.latest.get(key);
    if (!known) {
      this.latest.set(key, { ...values, values: { ...values.values }, errors: { ...values.errors } });
      return;
    }
    for (const [tag, v] of Object.entries(values.values)) {
      known.values[tag] = v;
      delete known.errors[tag];
    }
    for (const [tag, e] of Object.entries(values.errors)) {
      known.errors[tag] = e;
      delete known.values[tag];
    }
    known.timestamp = values.timestamp;
  }

  query(filter: { device?: string; group?: string } = {}): GroupValues[] {
    return [...this.latest.values()].filter((v) => (filter.device === undefined || v.device === filter.device) && (filter.group === undefined || v.group === filter.group));
  }

  /** Forgets groups that are no longer configured. */
  retain(keep: (device: string, group: string) => boolean): void {
    for (const [key, v] of this.latest) if (!keep(v.device, v.group)) this.latest.delete(key);
  }
}
