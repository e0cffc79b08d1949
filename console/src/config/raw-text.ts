import { LineCounter, parseDocument, stringify, isNode, type Document } from 'yaml';
import type { ValidationIssue } from '@edgefleet/protocol/browser';
import { isObject, parsePathString, type Json, type JsonObject } from './doc-path';

export type RawFormat = 'yaml' | 'json';

/** Keys that say what an item is come first. */
const LEADING_KEYS = ['schemaVersion', 'name', 'driver', 'kind', 'type'];

/**
 * The document with each object's keys in reading order: what the item is (name, driver, kind),
 * then its values, then nested settings, then its lists (a device's groups, a group's tags), so a
 * device's driver is not found below hundreds of tags. Key order means nothing to the schema.
 */
export function readingOrder(value: Json): Json {
  if (Array.isArray(value)) return value.map(readingOrder);
  if (!isObject(value)) return value;
  const rank = (key: string) => {
    const lead = LEADING_KEYS.indexOf(key);
    if (lead >= 0) return lead;
    const v = value[key];
    return Array.isArray(v) ? 12 : isObject(v as Json) ? 11 : 10;
  };
  const keys = Object.keys(value)
    .map((key, i) => ({ key, i, r: rank(key) }))
    .sort((a, b) => a.r - b.r || a.i - b.i);
  const out: JsonObject = {};
  for (const { key } of keys) out[key] = readingOrder(value[key] as Json);
  return out;
}

/** The document as text, the way a person edits it. */
export function toText(doc: Json | undefined, format: RawFormat): string {
  if (doc === undefined) return '';
  const ordered = readingOrder(doc);
  return format === 'json' ? `${JSON.stringify(ordered, null, 2)}\n` : stringify(ordered, { lineWidth: 0 });
}

export interface SyntaxProblem {
  message: string;
  /** 1-based. */
  line: number;
  column: number;
}

export type RawParse = { ok: true; value: Json } | { ok: false; problem: SyntaxProblem };

/** Parses the raw text; a syntax error comes back with its line and column. */
export function parseText(text: string, format: RawFormat): RawParse {
  if (format === 'json') {
    try {
      return { ok: true, value: JSON.parse(text) as Json };
    } catch (err) {
      const message = (err as Error).message;
      // V8 names the position (and, lately, the line); Firefox names line and column.
      const lc = /line (\d+) column (\d+)/.exec(message);
      const at = /position (\d+)/.exec(message);
      const { line, column } = lc ? { line: Number(lc[1]), column: Number(lc[2]) } : lineColumn(text, at ? Number(at[1]) : text.length);
      return { ok: false, problem: { message: message.replace(/\s*\(line \d+ column \d+\)/, ''), line, column } };
    }
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const error = doc.errors[0];
  if (error) {
    const pos = lines.linePos(error.pos[0]);
    return { ok: false, problem: { message: error.message.split('\n')[0] ?? error.message, line: pos.line, column: pos.col } };
  }
  return { ok: true, value: (doc.toJS({ maxAliasCount: 100 }) ?? null) as Json };
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split('\n');
  return { line: lines.length, column: (lines[lines.length - 1]?.length ?? 0) + 1 };
}

/**
 * The line of the text each validation issue points at: the value at its path, or the nearest
 * enclosing one that exists (a missing field points at its object). JSON is YAML, so one parser
 * serves both formats.
 */
export function issueLines(text: string, issues: ReadonlyArray<ValidationIssue>): Map<ValidationIssue, number> {
  const out = new Map<ValidationIssue, number>();
  if (issues.length === 0) return out;
  const lines = new LineCounter();
  let doc: Document.Parsed;
  try {
    doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  } catch {
    return out;
  }
  if (doc.errors.length > 0) return out;
  for (const issue of issues) {
    const path = parsePathString(issue.path);
    for (let n = path.length; n >= 0; n--) {
      const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
      if (isNode(node) && node.range) {
        out.set(issue, lines.linePos(node.range[0]).line);
        break;
      }
    }
  }
  return out;
}
