import type { GroupValues } from '@edgefleet/protocol';

/** The latest values of every group, for `read-values` commands. */
export class ValuesCache {
  private readonly latest = new Map<string, GroupValues>();

  put(values: GroupValues): void {
    this.latest.set(`${values.device}\u0000${values.group}`, values);
  }

  query(filter: { device?: string; group?: string } = {}): GroupValues[] {
    return [...this.latest.values()].filter((v) => (filter.device === undefined || v.device === filter.device) && (filter.group === undefined || v.group === filter.group));
  }

  /** Forgets groups that are no longer configured. */
  retain(keep: (device: string, group: string) => boolean): void {
    for (const [key, v] of this.latest) if (!keep(v.device, v.group)) this.latest.delete(key);
  }
}
