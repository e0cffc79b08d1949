import Papa from 'papaparse';
import { checkTagForDriver, parseWith, TagSchema, type Device, type TagInput, type TagType } from '@edgefleet/protocol/browser';

/**
 * Tag lists in the column layout of EMQ Neuron's tag sheet, so a sheet exported from (or written
 * for) Neuron's dashboard loads here and ours loads there. Neuron's dashboard imports and exports
 * Excel with the columns `group, name, address, attribute, type, description, decimal, precision`
 * (`bias` in newer versions), and reads them by header name; the sheet saved as CSV is what this
 * module reads and writes.
 *
 * | Neuron column | tag field    | mapping |
 * |---------------|--------------|---------|
 * | name          | name         | as is |
 * | address       | address      | as is (Neuron's Modbus syntax is ours) |
 * | attribute     | access       | labels joined by spaces, as Neuron writes them: `Read` → `r`; any with `Write` → `rw`; `Subscribe` is accepted and dropped; `Static` is refused. A bitmask number (1 read, 2 write, 4 subscribe) is read too |
 * | type          | type         | INT16…UINT64 ↔ int16…uint64, FLOAT ↔ float32, DOUBLE ↔ float64, BIT, BOOL, STRING, BYTES; on import also WORD/DWORD/LWORD (uint16/32/64) and our own names |
 * | description   | description  | as is |
 * | decimal       | scale        | Neuron's 0 (its "none") is no scale |
 * | precision     | precision    | Neuron's 0 (its "none") is no precision |
 * | bias          | offset       | 0 is no offset |
 * | unit, deadbandAbs | unit, deadbandAbs | extra columns after Neuron's, which Neuron ignores |
 * | group         | —            | written only when an export names the group; on import listed in `groups`, not kept per tag |
 */

/** One problem of an import, at the 1-based line of the file where the row starts. */
export interface NeuronCsvIssue {
  row: number;
  message: string;
}

export interface NeuronCsvImport {
  /** The rows that are valid tags, in file order. Rows with issues are left out. */
  tags: TagInput[];
  issues: NeuronCsvIssue[];
  /** The distinct values of the `group` column, in file order (empty when there is none). */
  groups: string[];
}

export interface NeuronCsvImportOptions {
  /**
   * The device the tags are for: each tag is then also checked against its driver (address
   * syntax, type and access), with the same messages the API gives for a saved config.
   */
  device?: Device;
}

export interface NeuronCsvExportOptions {
  /** Writes a leading `group` column with this name, which Neuron's group-list import requires. */
  group?: string;
}

/** Our tag types → Neuron's type names. */
const NEURON_TYPE_OF: Record<TagType, string> = {
  bool: 'BOOL',
  bit: 'BIT',
  int16: 'INT16',
  uint16: 'UINT16',
  int32: 'INT32',
  uint32: 'UINT32',
  int64: 'INT64',
  uint64: 'UINT64',
  float32: 'FLOAT',
  float64: 'DOUBLE',
  string: 'STRING',
  bytes: 'BYTES',
};

/** Neuron's type names (and our own, and Neuron's IEC aliases) → our tag types, keyed in lower case. */
const TYPE_FROM_NAME: ReadonlyMap<string, TagType> = new Map<string, TagType>([
  ...Object.entries(NEURON_TYPE_OF).map(([ours, neuron]) => [neuron.toLowerCase(), ours as TagType] as const),
  ...Object.keys(NEURON_TYPE_OF).map((ours) => [ours, ours as TagType] as const),
  // Neuron 2.x type.h also has WORD/DWORD/LWORD (unsigned 16/32/64) and, in older dashboards, CSTRING.
  ['word', 'uint16'],
  ['dword', 'uint32'],
  ['lword', 'uint64'],
  ['cstring', 'string'],
  ['float', 'float32'],
  ['double', 'float64'],
]);

/** Neuron types we have no equivalent for: one-byte integers. */
const UNSUPPORTED_TYPES = new Set(['int8', 'uint8', 'byte']);

// Neuron's tag attribute bitmask (neuron-compat.md): read 1, write 2, subscribe 4, static 8.
const READ = 1;
const WRITE = 2;
const SUBSCRIBE = 4;
const STATIC = 8;
const ATTRIBUTE_WORDS: ReadonlyMap<string, number> = new Map([
  ['read', READ],
  ['write', WRITE],
  ['subscribe', SUBSCRIBE],
  ['static', STATIC],
  // Our own access values, so a sheet edited by hand with them loads as well.
  ['r', READ],
  ['rw', READ | WRITE],
]);

/** The columns, by their header in lower case. Aliases are our own field names. */
type Column = 'group' | 'name' | 'address' | 'attribute' | 'type' | 'description' | 'decimal' | 'precision' | 'bias' | 'unit' | 'deadbandAbs';
const COLUMN_OF_HEADER: ReadonlyMap<string, Column> = new Map<string, Column>([
  ['group', 'group'],
  ['name', 'name'],
  ['address', 'address'],
  ['attribute', 'attribute'],
  ['access', 'attribute'],
  ['type', 'type'],
  ['description', 'description'],
  ['decimal', 'decimal'],
  ['scale', 'decimal'],
  ['precision', 'precision'],
  ['bias', 'bias'],
  ['offset', 'bias'],
  ['unit', 'unit'],
  ['deadbandabs', 'deadbandAbs'],
  ['deadband', 'deadbandAbs'],
]);
const REQUIRED_COLUMNS: readonly Column[] = ['name', 'address', 'attribute', 'type'];
const EXPORT_COLUMNS: readonly Column[] = ['name', 'address', 'attribute', 'type', 'description', 'decimal', 'precision', 'bias', 'unit', 'deadbandAbs'];

/** The column a tag field comes from, so an issue names what the user sees in the sheet. */
const COLUMN_OF_FIELD: Readonly<Record<string, Column>> = {
  name: 'name',
  address: 'address',
  type: 'type',
  access: 'attribute',
  scale: 'decimal',
  offset: 'bias',
  precision: 'precision',
  deadbandAbs: 'deadbandAbs',
  unit: 'unit',
  description: 'description',
};

/** Text columns that a spreadsheet could take for a formula: see `escapeFormula`. */
const TEXT_COLUMNS = new Set<Column>(['group', 'name', 'address', 'description', 'unit']);
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * A cell that starts like a formula gets a leading `'` so a spreadsheet shows it as text instead
 * of running it (OWASP "CSV injection"); the import takes the `'` off again.
 */
function escapeFormula(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}
function unescapeFormula(text: string): string {
  return text.startsWith("'") && FORMULA_START.test(text.slice(1)) ? text.slice(1) : text;
}

const BOM = '\uFEFF';

/**
 * The tags as a Neuron tag sheet in CSV: a header line, one line per tag, CRLF line ends, and a
 * byte order mark so Excel reads the UTF-8 (units like `°C`). Empty cells for unset fields.
 */
export function exportNeuronCsv(tags: TagInput[], options: NeuronCsvExportOptions = {}): string {
  const columns: Column[] = options.group !== undefined ? ['group', ...EXPORT_COLUMNS] : [...EXPORT_COLUMNS];
  const rows = tags.map((tag) => {
    const cells: Record<Column, string> = {
      group: options.group ?? '',
      name: tag.name,
      address: tag.address,
      attribute: tag.access === 'rw' ? 'Read Write' : 'Read',
      type: NEURON_TYPE_OF[tag.type],
      description: tag.description ?? '',
      decimal: numberCell(tag.scale),
      precision: numberCell(tag.precision),
      bias: numberCell(tag.offset),
      unit: tag.unit ?? '',
      deadbandAbs: numberCell(tag.deadbandAbs),
    };
    return columns.map((c) => (TEXT_COLUMNS.has(c) ? escapeFormula(cells[c]) : cells[c]));
  });
  return BOM + Papa.unparse({ fields: columns, data: rows }, { newline: '\r\n' }) + '\r\n';
}

function numberCell(n: number | undefined): string {
  return n === undefined ? '' : String(n);
}

/**
 * Reads a Neuron tag sheet saved as CSV (comma, semicolon or tab separated, as detected; an
 * Excel `sep=` first line is honoured; with a byte order mark or without; any line ends).
 * Headers are matched without regard to case and order; unknown columns are ignored. Each row
 * becomes a tag checked with the protocol's `TagSchema` (and the device's driver, when given), so
 * an issue carries the API's own message, prefixed with the column it concerns. A row with any
 * issue is not imported.
 */
export function importNeuronCsv(text: string, options: NeuronCsvImportOptions = {}): NeuronCsvImport {
  const result: NeuronCsvImport = { tags: [], issues: [], groups: [] };
  let body = text.startsWith(BOM) ? text.slice(BOM.length) : text;
  let firstLine = 1;
  let delimiter = '';
  // Excel writes and reads a first line `sep=;` naming the separator.
  const sep = /^sep=(.)\r?\n/i.exec(body);
  if (sep?.[1]) {
    delimiter = sep[1];
    body = body.slice(sep[0].length);
    firstLine = 2;
  }
  if (body.trim() === '') {
    result.issues.push({ row: 1, message: 'The file is empty: a Neuron tag sheet starts with a header line such as name,address,attribute,type,description,decimal,precision' });
    return result;
  }

  const rows = splitRows(body, delimiter);
  const lineOf = lineCounter(body, firstLine);
  const headerAt = rows.findIndex((r) => !isBlank(r.cells));
  const header = rows[headerAt];
  if (!header) return result;
  const headerRow = lineOf(header.start);
  const columnIndex = new Map<Column, number>();
  header.cells.forEach((cell, i) => {
    const column = COLUMN_OF_HEADER.get(cell.trim().toLowerCase());
    if (column && !columnIndex.has(column)) columnIndex.set(column, i);
  });
  const missing = REQUIRED_COLUMNS.filter((c) => !columnIndex.has(c));
  if (missing.length > 0) {
    result.issues.push({
      row: headerRow,
      message: `The header line has no ${missing.map((c) => `'${c}'`).join(', ')} column${missing.length > 1 ? 's' : ''}: a Neuron tag sheet needs name, address, attribute and type (and may have group, description, decimal, precision, bias, unit, deadbandAbs)`,
    });
    return result;
  }

  const decimalComma = (rows[0]?.delimiter ?? ',') !== ',';
  const firstLineOfName = new Map<string, number>();
  for (const r of rows.slice(headerAt + 1)) {
    if (isBlank(r.cells)) continue;
    const row = lineOf(r.start);
    if (r.error) {
      result.issues.push({ row, message: r.error });
      continue;
    }
    const cell = (c: Column): string => {
      const i = columnIndex.get(c);
      const raw = i === undefined ? '' : (r.cells[i] ?? '');
      const value = TEXT_COLUMNS.has(c) ? unescapeFormula(raw) : raw;
      return c === 'description' ? value : value.trim();
    };
    const group = cell('group');
    if (group !== '' && !result.groups.includes(group)) result.groups.push(group);

    const { tag, problems } = rowToTag(cell, decimalComma);
    const issues = problems.map((p) => `${p.column}: ${p.message}`);
    const parsed = parseWith(TagSchema, tag);
    if (!parsed.ok) {
      const reported = new Set(problems.map((p) => p.column));
      for (const issue of parsed.issues) {
        const column = COLUMN_OF_FIELD[issue.path] ?? issue.path;
        if (!reported.has(column as Column)) issues.push(`${column}: ${issue.message}`);
      }
    } else if (options.device && issues.length === 0) {
      for (const issue of checkTagForDriver(options.device, parsed.value)) {
        const field = String(issue.path[0] ?? 'address');
        issues.push(`${COLUMN_OF_FIELD[field] ?? field}: ${issue.message}`);
      }
    }
    if (parsed.ok && issues.length === 0) {
      const earlier = firstLineOfName.get(parsed.value.name);
      if (earlier !== undefined) issues.push(`name: duplicate tag name '${parsed.value.name}' (first on line ${earlier})`);
    }
    if (issues.length > 0 || !parsed.ok) {
      for (const message of issues) result.issues.push({ row, message });
      continue;
    }
    firstLineOfName.set(parsed.value.name, row);
    result.tags.push(parsed.value);
  }
  return result;
}

interface RawRow {
  cells: string[];
  /** Offset in the text where the row starts. */
  start: number;
  delimiter: string;
  error?: string;
}

/** The records of the text with where each starts, so issues can name the file's own line. */
function splitRows(body: string, delimiter: string): RawRow[] {
  const rows: RawRow[] = [];
  let start = 0;
  Papa.parse<string[]>(body, {
    delimiter,
    step: (step) => {
      const error = step.errors[0];
      rows.push({
        cells: step.data,
        start,
        delimiter: step.meta.delimiter,
        ...(error && error.type === 'Quotes' ? { error: 'a quoted cell is not closed: check the quotes (") in this line and the ones after it' } : {}),
      });
      start = step.meta.cursor;
    },
  });
  return rows;
}

/** Maps an offset in the text to its 1-based line (CRLF, LF and CR each end a line). */
function lineCounter(body: string, firstLine: number): (offset: number) => number {
  const breaks: number[] = [];
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (ch === '\n' || (ch === '\r' && body[i + 1] !== '\n')) breaks.push(i);
  }
  return (offset) => {
    // Number of line breaks before offset, by binary search.
    let lo = 0;
    let hi = breaks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((breaks[mid] ?? 0) < offset) lo = mid + 1;
      else hi = mid;
    }
    return firstLine + lo;
  };
}

function isBlank(cells: string[]): boolean {
  return cells.every((c) => c.trim() === '');
}

interface Problem {
  column: Column;
  message: string;
}

/** A row's cells as a tag candidate for `TagSchema`, with what could not be mapped. */
function rowToTag(cell: (c: Column) => string, decimalComma: boolean): { tag: Record<string, unknown>; problems: Problem[] } {
  const problems: Problem[] = [];
  const tag: Record<string, unknown> = { name: cell('name'), address: cell('address') };

  const typeText = cell('type');
  if (typeText !== '') {
    const key = typeText.toLowerCase();
    const type = TYPE_FROM_NAME.get(key);
    if (type) tag.type = type;
    else if (UNSUPPORTED_TYPES.has(key)) problems.push({ column: 'type', message: `${typeText.toUpperCase()} (one byte) is not supported; use INT16 or UINT16` });
    else problems.push({ column: 'type', message: `'${typeText}' is not a Neuron data type; use one of ${Object.values(NEURON_TYPE_OF).join(', ')}` });
  }

  const attribute = parseAttribute(cell('attribute'));
  if (typeof attribute === 'string') tag.access = attribute;
  else if (attribute) problems.push({ column: 'attribute', message: attribute.problem });

  const description = cell('description');
  if (description !== '') tag.description = description;
  const unit = cell('unit');
  if (unit !== '') tag.unit = unit;

  const number = (column: Column, field: string, zeroIsUnset: boolean) => {
    const text = cell(column);
    if (text === '') return;
    const n = parseNumber(text, decimalComma);
    if (n === undefined) problems.push({ column, message: `'${text}' is not a number` });
    else if (!(zeroIsUnset && n === 0)) tag[field] = n;
  };
  // Neuron stores 0 for "no decimal / precision / bias"; a scale of 0 would also zero every value.
  number('decimal', 'scale', true);
  number('precision', 'precision', true);
  number('bias', 'offset', true);
  number('deadbandAbs', 'deadbandAbs', false);
  return { tag, problems };
}

/** Neuron's attribute cell → our access; undefined for an empty cell (the schema's default, read only). */
function parseAttribute(text: string): 'r' | 'rw' | { problem: string } | undefined {
  if (text === '') return undefined;
  let mask = 0;
  if (/^\d+$/.test(text)) {
    mask = Number(text);
    if (mask < 1 || mask > 15) return { problem: `${text} is not a Neuron attribute value (1 read, 2 write, 4 subscribe, or their sum)` };
  } else {
    for (const word of text.toLowerCase().split(/[\s,;|+/&]+/).filter((w) => w !== '')) {
      const bit = ATTRIBUTE_WORDS.get(word);
      if (bit === undefined) return { problem: `'${text}' is not a Neuron attribute; use Read, Write or Subscribe, e.g. 'Read Write'` };
      mask |= bit;
    }
  }
  if (mask & STATIC) return { problem: 'static tags (a fixed value with no device address) are not supported' };
  return mask & WRITE ? 'rw' : 'r';
}

const NUMBER_RE = /^[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i;

/** A number as a spreadsheet writes it; with `decimalComma`, `0,5` too (semicolon-separated files from European locales). */
function parseNumber(text: string, decimalComma: boolean): number | undefined {
  const normalised = decimalComma && /^[+-]?\d*,\d+$/.test(text) ? text.replace(',', '.') : text;
  if (!NUMBER_RE.test(normalised)) return undefined;
  const n = Number(normalised);
  return Number.isFinite(n) ? n : undefined;
}
