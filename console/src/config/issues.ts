import type { ValidationIssue } from '@edgefleet/protocol/browser';
import { isWithin } from './doc-path';

/**
 * The validation issues of the document being edited, looked up by path. Local issues come from
 * `parseWith(AgentConfigSchema, …)`; the API's (a 400 on save) use the same notation, possibly
 * prefixed `document.` (the request body's field), which is taken off so they land on the same
 * inputs.
 */
export class IssueIndex {
  static readonly EMPTY = new IssueIndex([]);
  private readonly byPath = new Map<string, string[]>();
  readonly all: ReadonlyArray<ValidationIssue>;

  constructor(issues: ReadonlyArray<ValidationIssue>) {
    const seen = new Set<string>();
    const all: ValidationIssue[] = [];
    for (const issue of issues) {
      const path = normalizeIssuePath(issue.path);
      const key = `${path}\u0000${issue.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      all.push({ path, message: issue.message });
      const list = this.byPath.get(path);
      if (list) list.push(issue.message);
      else this.byPath.set(path, [issue.message]);
    }
    this.all = all;
  }

  get size(): number {
    return this.all.length;
  }

  /** The messages of exactly this field, joined for an input's error line. */
  messageAt(path: string): string | undefined {
    const list = this.byPath.get(path);
    return list ? list.join('; ') : undefined;
  }

  /** How many issues lie at or inside `path` (a device, a group, a section). */
  countWithin(path: string): number {
    let n = 0;
    for (const issue of this.all) if (isWithin(issue.path, path)) n++;
    return n;
  }

  /** The issues at or inside `path`. */
  within(path: string): ValidationIssue[] {
    return this.all.filter((i) => isWithin(i.path, path));
  }
}

/** `document.devices[0].name` → `devices[0].name`; `document` alone → `(root)`. */
export function normalizeIssuePath(path: string): string {
  if (path === 'document') return '(root)';
  if (path.startsWith('document.')) return path.slice('document.'.length);
  if (path.startsWith('document[')) return path.slice('document'.length);
  return path;
}
