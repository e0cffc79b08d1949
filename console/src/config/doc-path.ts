import { formatPath } from '@edgefleet/protocol/browser';

/** A JSON value: what a config document is made of while it is edited (valid or not). */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** A place in a document, as zod paths go: `['devices', 0, 'groups', 1, 'intervalMs']`. */
export type Path = ReadonlyArray<string | number>;

export const isObject = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);

/** `devices[0].groups[1].intervalMs`: the notation of the protocol's validation issues. */
export function pathString(path: Path): string {
  return formatPath(path);
}

/**
 * The inverse of `pathString`: `devices[0].groups[1].intervalMs` → `['devices', 0, 'groups', 1,
 * 'intervalMs']`. `(root)` is the empty path.
 */
export function parsePathString(text: string): (string | number)[] {
  if (text === '(root)' || text === '') return [];
  const out: (string | number)[] = [];
  const re = /\[(\d+)\]|\.?([^.[\]]+)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m[1] !== undefined) out.push(Number(m[1]));
    else if (m[2] !== undefined) out.push(m[2]);
  }
  return out;
}

export function getAt(doc: Json | undefined, path: Path): Json | undefined {
  let cur: Json | undefined = doc;
  for (const key of path) {
    if (typeof key === 'number') cur = Array.isArray(cur) ? cur[key] : undefined;
    else cur = isObject(cur) ? cur[key] : undefined;
    if (cur === undefined) return undefined;
  }
  return cur;
}

/**
 * `doc` with `value` at `path`; `undefined` removes the key (an optional field cleared). Parts off
 * the path are shared with `doc`, so unchanged subtrees keep their identity and memoized rows of
 * a large tag table do not render again. Missing objects on the way are created.
 */
export function setAt(doc: Json | undefined, path: Path, value: Json | undefined): Json | undefined {
  if (path.length === 0) return value;
  const [key, ...rest] = path as [string | number, ...(string | number)[]];
  if (typeof key === 'number') {
    const list = Array.isArray(doc) ? doc : [];
    const next = setAt(list[key], rest, value);
    if (next === list[key] && Array.isArray(doc)) return doc;
    const copy = [...list];
    if (next === undefined) copy.splice(key, 1);
    else copy[key] = next;
    return copy;
  }
  const obj = isObject(doc) ? doc : {};
  const next = setAt(obj[key], rest, value);
  if (next === obj[key] && isObject(doc)) return doc;
  const copy: JsonObject = { ...obj };
  if (next === undefined) delete copy[key];
  else copy[key] = next;
  return copy;
}

/** JSON with object keys sorted: equal documents give equal strings whatever their key order. */
export function stableStringify(value: Json | undefined): string {
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (isObject(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableStringify(value[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Whether `inner` is `outer` or lies inside it (`devices[0].name` is inside `devices[0]`). */
export function isWithin(inner: string, outer: string): boolean {
  if (outer === '(root)') return true;
  return inner === outer || inner.startsWith(`${outer}.`) || inner.startsWith(`${outer}[`);
}
