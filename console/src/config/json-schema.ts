import { z } from 'zod';
import { AgentConfigSchema } from '@edgefleet/protocol/browser';
import { isObject, type Json, type JsonObject } from './doc-path';

/**
 * The config forms are generated from the protocol's zod schemas through their JSON Schema
 * (`z.toJSONSchema(…, { io: 'input' })`): a field is required there only when the document must
 * carry it (defaults make a field optional), and `secret: true` from `secret.ts` comes along as
 * metadata. Refinements do not appear in JSON Schema; they need not, since every check runs
 * through `parseWith(AgentConfigSchema, …)`, the very code the API and the agent use.
 */
export interface JsonSchema {
  type?: 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array' | 'null';
  const?: Json;
  enum?: Json[];
  default?: Json;
  title?: string;
  description?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: JsonSchema | boolean;
  propertyNames?: JsonSchema;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  secret?: boolean;
}

/** The whole config document's schema, as a person writes it (defaults may be left out). */
export const CONFIG_SCHEMA = z.toJSONSchema(AgentConfigSchema, { io: 'input', unrepresentable: 'any' }) as unknown as JsonSchema;

function child(schema: JsonSchema, key: string): JsonSchema {
  const s = schema.properties?.[key];
  if (!s) throw new Error(`the config schema has no field '${key}'`);
  return s;
}
function itemsOf(schema: JsonSchema): JsonSchema {
  if (!schema.items) throw new Error('expected a list schema');
  return schema.items;
}

export const AGENT_SCHEMA = child(CONFIG_SCHEMA, 'agent');
export const DEVICE_SCHEMA = itemsOf(child(CONFIG_SCHEMA, 'devices'));
export const SINK_SCHEMA = itemsOf(child(CONFIG_SCHEMA, 'northbound'));
/** Groups and tags are the same for every driver; the first option's are taken. */
export const GROUP_SCHEMA = itemsOf(child(unionOptions(DEVICE_SCHEMA)[0] ?? DEVICE_SCHEMA, 'groups'));
export const TAG_SCHEMA = itemsOf(child(GROUP_SCHEMA, 'tags'));

function unionOptions(schema: JsonSchema): JsonSchema[] {
  return schema.oneOf ?? schema.anyOf ?? [];
}

export interface UnionOption {
  schema: JsonSchema;
  /** What the select shows and stores for this option. */
  value: string;
  label: string;
}

/** What kind of input a schema node gets. */
export type FieldKind =
  | { kind: 'const'; value: Json }
  | { kind: 'enum'; options: Json[] }
  | { kind: 'string'; secret: boolean; multiline: boolean }
  | { kind: 'number'; integer: boolean }
  | { kind: 'boolean' }
  | { kind: 'object'; properties: Array<[string, JsonSchema]>; required: ReadonlySet<string> }
  | { kind: 'record'; values: JsonSchema }
  | { kind: 'array'; items: JsonSchema }
  | { kind: 'union'; options: UnionOption[]; discriminator: string | undefined }
  | { kind: 'unknown' };

const kindCache = new WeakMap<JsonSchema, FieldKind>();

export function fieldKind(schema: JsonSchema): FieldKind {
  let k = kindCache.get(schema);
  if (!k) {
    k = classify(schema);
    kindCache.set(schema, k);
  }
  return k;
}

/** Fields holding certificates, keys or templates: several lines, so a textarea. */
const MULTILINE_NAMES = /(pem|^ca$|^cert$|^key$|^certificate$|privatekey|template)/i;

function classify(schema: JsonSchema): FieldKind {
  if (schema.const !== undefined) return { kind: 'const', value: schema.const };
  if (schema.enum) return { kind: 'enum', options: schema.enum };
  const options = unionOptions(schema);
  if (options.length > 0) {
    if (options.every((o) => o.const !== undefined)) return { kind: 'enum', options: options.map((o) => o.const as Json) };
    const discriminator = discriminatorOf(options);
    return {
      kind: 'union',
      discriminator,
      options: options.map((o, i) => {
        const tag = discriminator ? o.properties?.[discriminator]?.const : o.const;
        const value = tag !== undefined ? String(tag) : `option-${i}`;
        return { schema: o, value, label: o.title ?? (tag !== undefined ? String(tag) : 'custom settings') };
      }),
    };
  }
  switch (schema.type) {
    case 'string':
      return {
        kind: 'string',
        secret: schema.secret === true,
        multiline: (schema.maxLength ?? 0) > 16_384 || /BEGIN|PRIVATE KEY/.test(schema.pattern ?? ''),
      };
    case 'number':
    case 'integer':
      return { kind: 'number', integer: schema.type === 'integer' };
    case 'boolean':
      return { kind: 'boolean' };
    case 'array':
      return schema.items ? { kind: 'array', items: schema.items } : { kind: 'unknown' };
    case 'object':
      if (schema.properties) {
        return { kind: 'object', properties: Object.entries(schema.properties), required: new Set(schema.required ?? []) };
      }
      if (isObject(schema.additionalProperties as Json)) return { kind: 'record', values: schema.additionalProperties as JsonSchema };
      return { kind: 'unknown' };
    default:
      return { kind: 'unknown' };
  }
}

const sameSchema = (a: JsonSchema, b: JsonSchema) => a === b || JSON.stringify(a) === JSON.stringify(b);

/** A property every option carries as a distinct constant (`driver`, `kind`, `type`). */
function discriminatorOf(options: JsonSchema[]): string | undefined {
  const first = options[0]?.properties;
  if (!first || options.some((o) => o.type !== 'object')) return undefined;
  return Object.keys(first).find((key) => {
    const values = options.map((o) => o.properties?.[key]?.const);
    return values.every((v) => v !== undefined) && new Set(values.map(String)).size === values.length;
  });
}

/** Kind of a named property: the name decides single- or multi-line text. */
export function propertyKind(name: string, schema: JsonSchema): FieldKind {
  const k = fieldKind(schema);
  if (k.kind !== 'string' || k.multiline || !MULTILINE_NAMES.test(name)) return k;
  return { ...k, multiline: true };
}

/** The option a value is of, or undefined when none fits (then the select offers a choice). */
export function matchOption(kind: Extract<FieldKind, { kind: 'union' }>, value: Json | undefined): UnionOption | undefined {
  if (value === undefined) return undefined;
  if (kind.discriminator) {
    const tag = isObject(value) ? value[kind.discriminator] : undefined;
    return kind.options.find((o) => o.value === String(tag));
  }
  return kind.options.find((o) => (o.schema.const !== undefined ? o.schema.const === value : o.schema.type === 'object' ? isObject(value) : false));
}

/**
 * The value after choosing another option of a union (another driver, sink kind, identity type):
 * the new option's minimal value, keeping the fields both options define alike (a device's
 * name, groups and description survive a change of driver; its settings do when they are the
 * same schema, as for Modbus TCP and RTU over TCP).
 */
export function switchOption(kind: Extract<FieldKind, { kind: 'union' }>, current: Json | undefined, to: UnionOption): Json | undefined {
  const fresh = skeleton(to.schema);
  const from = matchOption(kind, current);
  if (!isObject(fresh) || !isObject(current) || !from?.schema.properties || !to.schema.properties) return fresh;
  const out: JsonObject = { ...fresh };
  for (const [key, schema] of Object.entries(to.schema.properties)) {
    if (key === kind.discriminator) continue;
    const old = from.schema.properties[key];
    const value = current[key];
    if (old && value !== undefined && sameSchema(old, schema)) out[key] = value;
  }
  return out;
}

/**
 * The least a new value of this schema must hold: the required fields, constants set, enums at
 * their default or first value. A required number without default stays out, so the form asks
 * for it ("is required") instead of inventing one.
 */
export function skeleton(schema: JsonSchema): Json | undefined {
  const k = fieldKind(schema);
  switch (k.kind) {
    case 'const':
      return k.value;
    case 'enum':
      return schema.default ?? k.options[0];
    case 'union':
      return schema.default !== undefined ? structuredClone(schema.default) : k.options[0] ? skeleton(k.options[0].schema) : undefined;
    case 'string':
      return '';
    case 'number':
      return schema.default;
    case 'boolean':
      return schema.default ?? false;
    case 'object': {
      const out: JsonObject = {};
      for (const [key, s] of k.properties) {
        if (!k.required.has(key)) continue;
        const v = skeleton(s);
        if (v !== undefined) out[key] = v;
      }
      return out;
    }
    case 'record':
      return {};
    case 'array':
      return [];
    case 'unknown':
      return undefined;
  }
}

const ACRONYMS: Record<string, string> = { url: 'URL', id: 'ID', pem: 'PEM', qos: 'QoS', tls: 'TLS', ca: 'CA', sas: 'SAS', mqtt: 'MQTT' };
const UNITS: Record<string, string> = { ms: '(ms)', sec: '(s)', abs: '(absolute)' };

/** `intervalMs` → `Interval (ms)`, `endpointUrl` → `Endpoint URL`: a field's label from its key. */
export function humanize(key: string): string {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([a-zA-Z])(\d)/g, '$1 $2')
    .split(/[\s_-]+/)
    .filter(Boolean)
    .map((w) => w.toLowerCase());
  return words
    .map((w, i) => {
      if (i === words.length - 1 && i > 0 && UNITS[w]) return UNITS[w];
      if (ACRONYMS[w]) return ACRONYMS[w];
      return i === 0 ? w.charAt(0).toUpperCase() + w.slice(1) : w;
    })
    .join(' ');
}

/** A label inside a sentence: `Add TLS`, `Add user identity`. */
export function inSentence(label: string): string {
  return /^[A-Z]{2}/.test(label) ? label : label.charAt(0).toLowerCase() + label.slice(1);
}

function show(v: Json): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/**
 * Help text from what the schema knows: its description (when it has one), the allowed range,
 * and the default that applies when the field is left empty.
 */
export function helpText(schema: JsonSchema, opts: { required: boolean } = { required: false }): string {
  const parts: string[] = [];
  if (schema.description) parts.push(schema.description);
  const k = fieldKind(schema);
  if (k.kind === 'number') {
    const min = schema.minimum ?? schema.exclusiveMinimum;
    const max = schema.maximum !== undefined && schema.maximum < Number.MAX_SAFE_INTEGER ? schema.maximum : undefined;
    if (min !== undefined && max !== undefined) parts.push(`${min} to ${max}`);
    else if (min !== undefined) parts.push(`at least ${min}`);
    else if (max !== undefined) parts.push(`at most ${max}`);
    if (k.integer) parts.push('whole number');
  }
  if (k.kind === 'string' && schema.maxLength !== undefined && schema.maxLength <= 1024 && !k.secret) parts.push(`up to ${schema.maxLength} characters`);
  if (schema.default !== undefined && !isObject(schema.default) && !Array.isArray(schema.default)) parts.push(`default ${show(schema.default)}`);
  else if (!opts.required && k.kind !== 'object' && k.kind !== 'array' && k.kind !== 'record' && k.kind !== 'boolean') parts.push('optional');
  return parts.join(' · ');
}

/** Whether a schema node is a single input (as opposed to a nested form). */
export function isLeaf(schema: JsonSchema): boolean {
  const k = fieldKind(schema).kind;
  return k === 'const' || k === 'enum' || k === 'string' || k === 'number' || k === 'boolean';
}

/** A unique `name` for a new list item: `tag-4` when `tag-1` to `tag-3` exist. */
export function freshName(base: string, items: readonly Json[]): string {
  const names = new Set(items.map((i) => (isObject(i) && typeof i.name === 'string' ? i.name : '')));
  for (let n = items.length + 1; ; n++) if (!names.has(`${base}-${n}`)) return `${base}-${n}`;
}

/** A new item of a list: its schema's least value, named uniquely when it has a name. */
export function newItem(schema: JsonSchema, base: string, items: readonly Json[]): Json {
  const fresh = skeleton(schema) ?? null;
  if (isObject(fresh) && 'name' in fresh) return { ...fresh, name: freshName(base, items) };
  return fresh;
}

