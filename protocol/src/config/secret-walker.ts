import type { z } from 'zod';
import { formatPath } from '../validation.js';
import { isSecretSchema } from './secret.js';

/**
 * Finds the secrets (`secret.ts`) of a value by walking it together with its zod schema, and the
 * places a schema may hold them. Generic over the schema, so a secret added to any driver's or
 * sink's settings is found with no list to update.
 *
 * A schema construct the walker does not know makes it throw rather than guess: a secret it could
 * not see would be stored in clear and shown by the API.
 */

/** One secret found in a value. */
export interface SecretVisit {
  /** Where, as zod paths go: `['northbound', 0, 'settings', 'broker', 'password']`. */
  path: (string | number)[];
  /** `path` in the document's notation: `northbound[0].settings.broker.password`. */
  location: string;
  /**
   * Identity of the place that survives reordering lists: items of a list that carry a string
   * `name` (devices, groups, tags, sinks) are named, not numbered. Equal keys in two versions of a
   * document are the same field of the same sink or device.
   */
  key: string;
  value: unknown;
}

type Segment = string | number | { name: string };

type AnySchema = z.core.$ZodType;

/** The parts of zod's definitions the walker reads. */
interface Def {
  type: string;
  innerType?: AnySchema;
  in?: AnySchema;
  out?: AnySchema;
  element?: AnySchema;
  valueType?: AnySchema;
  shape?: Record<string, AnySchema>;
  catchall?: AnySchema;
  options?: readonly AnySchema[];
  items?: readonly AnySchema[];
  rest?: AnySchema | null;
  getter?: () => AnySchema;
  values?: readonly unknown[];
}

const defOf = (schema: AnySchema): Def => schema._zod.def as unknown as Def;

/** Wrappers whose value is their inner schema's. */
const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional']);
/** Types that hold no other schema: a secret there is the node itself. */
const LEAVES = new Set([
  'string', 'number', 'int', 'boolean', 'bigint', 'symbol', 'null', 'undefined', 'void', 'never', 'any', 'unknown',
  'date', 'nan', 'literal', 'enum', 'template_literal', 'file', 'custom', 'transform', 'success',
]);

function unsupported(type: string): Error {
  return new Error(`the secret walker does not know zod '${type}' schemas; teach it in protocol/src/config/secret-walker.ts`);
}

/** A pipe's value is its input's, unless the input is a bare transform (`z.preprocess`). */
function pipeSide(def: Def): AnySchema {
  const input = def.in as AnySchema;
  return defOf(input).type === 'transform' ? (def.out as AnySchema) : input;
}

const patternCache = new WeakMap<AnySchema, readonly string[]>();
const inProgress = new WeakSet<AnySchema>();

/**
 * The places `schema` may hold a secret, relative to it: `''` for the node itself, `.key`, `[]`
 * for every item of a list, `{}` for every entry of a record. Every option of a union counts.
 */
function patternsOf(schema: AnySchema): readonly string[] {
  const cached = patternCache.get(schema);
  if (cached) return cached;
  if (isSecretSchema(schema)) return remember(schema, ['']);
  // A schema that refers to itself (z.lazy) adds nothing new the second time round.
  if (inProgress.has(schema)) return [];
  inProgress.add(schema);
  try {
    return remember(schema, childPatterns(schema));
  } finally {
    inProgress.delete(schema);
  }
}

function remember(schema: AnySchema, patterns: readonly string[]): readonly string[] {
  const unique = [...new Set(patterns)];
  patternCache.set(schema, unique);
  return unique;
}

function childPatterns(schema: AnySchema): string[] {
  const def = defOf(schema);
  const under = (prefix: string, child: AnySchema | undefined | null) => (child ? patternsOf(child).map((p) => prefix + p) : []);
  if (WRAPPERS.has(def.type)) return [...patternsOf(def.innerType as AnySchema)];
  switch (def.type) {
    case 'pipe':
      return [...patternsOf(pipeSide(def))];
    case 'lazy':
      return [...patternsOf((def.getter as () => AnySchema)())];
    case 'object':
      return [...Object.entries(def.shape ?? {}).flatMap(([key, child]) => under(`.${key}`, child)), ...under('.*', catchallOf(def))];
    case 'array':
      return under('[]', def.element);
    case 'record':
      return under('{}', def.valueType);
    case 'tuple':
      return [...(def.items ?? []).flatMap((item) => under('[]', item)), ...under('[]', def.rest)];
    case 'union':
      return (def.options ?? []).flatMap((option) => [...patternsOf(option)]);
    default:
      if (LEAVES.has(def.type)) return [];
      throw unsupported(def.type);
  }
}

function catchallOf(def: Def): AnySchema | undefined {
  const c = def.catchall;
  return c && defOf(c).type !== 'never' ? c : undefined;
}

/**
 * Where a value of `schema` may hold secrets, in the document's notation with `[]` for "every
 * item": `northbound[].settings.broker.password`. The documentation of what is secret, computed.
 */
export function secretFieldPaths(schema: AnySchema): string[] {
  return patternsOf(schema).map((p) => (p.startsWith('.') ? p.slice(1) : p) || '(root)');
}

/** The names of the fields that hold secrets (`password`, `privateKey`…), for loggers' redaction. */
export function secretFieldNames(schema: AnySchema): string[] {
  const names = secretFieldPaths(schema).map((p) => /([A-Za-z0-9_$]+)$/.exec(p)?.[1]).filter((n): n is string => n !== undefined);
  return [...new Set(names)].sort();
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Returns `value` with every secret replaced by `replace(visit)`. Parts that hold no secret are
 * shared with `value`, not copied, and `value` itself is never changed. Works on documents as
 * written (defaults missing) and as stored; a part whose shape does not fit the schema is left
 * as it is (validation reports it).
 */
export function mapSecrets(schema: AnySchema, value: unknown, replace: (visit: SecretVisit) => unknown): unknown {
  return walk(schema, value, [], [], replace);
}

/** Every secret present in `value`, in document order. */
export function listSecrets(schema: AnySchema, value: unknown): SecretVisit[] {
  const found: SecretVisit[] = [];
  mapSecrets(schema, value, (visit) => {
    found.push(visit);
    return visit.value;
  });
  return found;
}

function walk(schema: AnySchema, value: unknown, path: (string | number)[], key: Segment[], replace: (visit: SecretVisit) => unknown): unknown {
  if (value === undefined) return value;
  if (isSecretSchema(schema)) return replace({ path, location: formatPath(path), key: JSON.stringify(key), value });
  if (patternsOf(schema).length === 0) return value;
  const def = defOf(schema);
  if (WRAPPERS.has(def.type)) return walk(def.innerType as AnySchema, value, path, key, replace);
  switch (def.type) {
    case 'pipe':
      return walk(pipeSide(def), value, path, key, replace);
    case 'lazy':
      return walk((def.getter as () => AnySchema)(), value, path, key, replace);
    case 'object': {
      if (!isPlainObject(value)) return value;
      const catchall = catchallOf(def);
      return mapEntries(value, (k, v) => {
        const child = Object.hasOwn(def.shape ?? {}, k) ? def.shape?.[k] : catchall;
        return child ? walk(child, v, [...path, k], [...key, k], replace) : v;
      });
    }
    case 'record':
      if (!isPlainObject(value)) return value;
      return mapEntries(value, (k, v) => walk(def.valueType as AnySchema, v, [...path, k], [...key, k], replace));
    case 'array':
    case 'tuple': {
      if (!Array.isArray(value)) return value;
      const items: readonly unknown[] = value;
      const out = items.map((item, i) => {
        const child = def.type === 'array' ? def.element : (def.items?.[i] ?? def.rest);
        return child ? walk(child, item, [...path, i], [...key, itemSegment(item, i)], replace) : item;
      });
      return out.every((v, i) => v === items[i]) ? value : out;
    }
    case 'union': {
      const option = unionOption(def.options ?? [], value);
      return option ? walk(option, value, path, key, replace) : value;
    }
    default:
      // Only leaves have no children, and a leaf that may hold a secret is a secret itself.
      throw unsupported(def.type);
  }
}

function mapEntries(value: Record<string, unknown>, f: (k: string, v: unknown) => unknown): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(value)) {
    const next = f(k, v);
    if (next !== v) (out ??= { ...value })[k] = next;
  }
  return out ?? value;
}

function itemSegment(item: unknown, index: number): Segment {
  return isPlainObject(item) && typeof item.name === 'string' ? { name: item.name } : index;
}

/** The schema under wrappers, pipes and lazies: the one that decides a value's shape. */
function core(schema: AnySchema): AnySchema {
  return unwrapUntil(schema, () => false);
}

/** Looks through wrappers until `stop` holds or there is nothing left to look through. */
function unwrapUntil(schema: AnySchema, stop: (s: AnySchema) => boolean): AnySchema {
  let s = schema;
  for (;;) {
    if (stop(s)) return s;
    const def = defOf(s);
    if (WRAPPERS.has(def.type)) s = def.innerType as AnySchema;
    else if (def.type === 'pipe') s = pipeSide(def);
    else if (def.type === 'lazy') s = (def.getter as () => AnySchema)();
    else return s;
  }
}

const isSecretOption = (option: AnySchema): boolean => isSecretSchema(unwrapUntil(option, isSecretSchema));

/**
 * The option of a union that describes `value`: for an object, the first object option whose
 * literal fields (the discriminator: `kind`, `driver`, `type`) all match and whose fields cover
 * the value's, else the first whose literals match; for anything else, a secret option if there
 * is one (a secret cannot be told from another string by looking at it).
 */
function unionOption(options: readonly AnySchema[], value: unknown): AnySchema | undefined {
  if (!isPlainObject(value)) return options.find(isSecretOption);
  const candidates = options.filter((o) => {
    const def = defOf(core(o));
    if (def.type !== 'object') return false;
    return Object.entries(def.shape ?? {}).every(([k, child]) => {
      const c = defOf(core(child));
      return c.type !== 'literal' || (c.values ?? []).includes(value[k]);
    });
  });
  const covers = (o: AnySchema) => {
    const def = defOf(core(o));
    return catchallOf(def) !== undefined || Object.keys(value).every((k) => Object.hasOwn(def.shape ?? {}, k));
  };
  return candidates.find(covers) ?? candidates[0];
}
