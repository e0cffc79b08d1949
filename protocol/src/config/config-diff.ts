import type { ConfigChange } from '../api/dto.js';
import { formatPath } from '../validation.js';
import { canonicalJson } from './canonical-json.js';
import { listConfigSecrets, redactConfigSecrets } from './config-secrets.js';

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

type Path = (string | number)[];

/** One side of the comparison at one place: the plaintext (to compare), the redacted (to show), where. */
interface Side {
  plain: unknown;
  shown: unknown;
  path: Path;
}

/**
 * What changed from `before` to `after`, two plaintext config documents. Objects are compared key
 * by key; lists of named items (devices, groups, tags, sinks) item by name, so an inserted sink is
 * one change, not a shift of every later one, and their order is not compared (the agent goes by
 * name). A change is reported at its place in `after`, a removal at its place in `before`. Other
 * lists are compared item by position. Whether a value changed is decided on the plaintext, what
 * is shown comes from the redacted documents: a changed secret is reported (`secret: true`) with
 * the marker on both sides.
 */
export function diffConfigs(before: unknown, after: unknown): ConfigChange[] {
  const secretsBefore = new Set(listConfigSecrets(before).map((s) => s.location));
  const secretsAfter = new Set(listConfigSecrets(after).map((s) => s.location));
  const changes: ConfigChange[] = [];

  const push = (change: ConfigChange['change'], at: Side, values: Pick<ConfigChange, 'before' | 'after'>, secret: boolean) => {
    changes.push({ path: formatPath(at.path), change, ...values, ...(secret ? { secret: true as const } : {}) });
  };
  const isSecretA = (a: Side) => secretsBefore.has(formatPath(a.path));
  const isSecretB = (b: Side) => secretsAfter.has(formatPath(b.path));
  const child = (side: Side, key: string | number): Side => ({
    plain: (side.plain as Record<string | number, unknown>)[key],
    shown: (side.shown as Record<string | number, unknown>)[key],
    path: [...side.path, key],
  });
  const added = (b: Side) => push('added', b, { after: b.shown }, isSecretB(b));
  const removed = (a: Side) => push('removed', a, { before: a.shown }, isSecretA(a));

  function compare(a: Side, b: Side): void {
    const secret = isSecretA(a) || isSecretB(b);
    // A secret is compared whole, whatever it holds.
    if (!secret && isPlainObject(a.plain) && isPlainObject(b.plain)) {
      const present = (o: Record<string, unknown>, key: string) => Object.hasOwn(o, key) && o[key] !== undefined;
      for (const key of new Set([...Object.keys(a.plain), ...Object.keys(b.plain)])) {
        const inA = present(a.plain, key);
        const inB = present(b.plain, key);
        if (inA && inB) compare(child(a, key), child(b, key));
        else if (inB) added(child(b, key));
        else if (inA) removed(child(a, key));
      }
      return;
    }
    if (!secret && Array.isArray(a.plain) && Array.isArray(b.plain)) {
      compareLists(a, b, a.plain, b.plain);
      return;
    }
    if (canonicalJson(a.plain) !== canonicalJson(b.plain)) push('changed', b, { before: a.shown, after: b.shown }, secret);
  }

  function compareLists(a: Side, b: Side, listA: readonly unknown[], listB: readonly unknown[]): void {
    const namesA = namesOf(listA);
    const namesB = namesOf(listB);
    if (!namesA || !namesB) {
      for (let i = 0; i < Math.max(listA.length, listB.length); i++) {
        if (i >= listA.length) added(child(b, i));
        else if (i >= listB.length) removed(child(a, i));
        else compare(child(a, i), child(b, i));
      }
      return;
    }
    namesA.forEach((name, i) => {
      if (!namesB.includes(name)) removed(child(a, i));
    });
    namesB.forEach((name, j) => {
      const i = namesA.indexOf(name);
      if (i < 0) added(child(b, j));
      else compare(child(a, i), child(b, j));
    });
  }

  compare({ plain: before, shown: redactConfigSecrets(before), path: [] }, { plain: after, shown: redactConfigSecrets(after), path: [] });
  return changes;
}

/** The items' names when every item is an object with a name of its own, else null. */
function namesOf(list: readonly unknown[]): string[] | null {
  const names = list.map((item) => (isPlainObject(item) && typeof item.name === 'string' ? item.name : null));
  if (names.some((n) => n === null)) return null;
  return new Set(names).size === names.length ? (names as string[]) : null;
}
