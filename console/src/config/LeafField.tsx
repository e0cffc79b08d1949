import { memo, useEffect, useState, type ReactNode } from 'react';
import { Button, CloseButton, Group, NativeSelect, PasswordInput, Switch, TextInput, Textarea } from '@mantine/core';
import { SECRET_MARKER } from '@edgefleet/protocol/browser';
import { getAt, type Json, type Path } from './doc-path';
import { useEditorActions } from './editor-context';
import { inSentence, type FieldKind, type JsonSchema } from './json-schema';

export interface LeafFieldProps {
  schema: JsonSchema;
  kind: FieldKind;
  path: Path;
  /** `path` in the document's notation; also the field's `data-testid` (`field-<path>`). */
  pathStr: string;
  value: Json | undefined;
  label: string;
  help?: string;
  required: boolean;
  error?: string | undefined;
  /** A cell of a table: no label or help shown (the column says it), an accessible label instead. */
  compact?: boolean;
}

/**
 * One input of the generated form: text, number, choice, switch or secret, chosen by the schema.
 * Rendered again only when what it shows changes, so an edit re-renders one input, not a table.
 */
export const LeafField = memo(function LeafField(props: LeafFieldProps) {
  const { kind } = props;
  switch (kind.kind) {
    case 'string':
      return kind.secret ? <SecretInput {...props} multiline={kind.multiline} /> : <StringInput {...props} multiline={kind.multiline} />;
    case 'number':
      return <NumberField {...props} integer={kind.integer} />;
    case 'boolean':
      return <BooleanField {...props} />;
    case 'enum':
      return <EnumField {...props} options={kind.options} />;
    case 'const':
      return (
        <TextInput {...common(props)} value={String(kind.value)} readOnly variant="filled" />
      );
    default:
      return null;
  }
}, sameLeaf);

/** `path` is a fresh array every render; `pathStr` says the same. */
function sameLeaf(a: LeafFieldProps, b: LeafFieldProps): boolean {
  return (
    a.pathStr === b.pathStr &&
    a.value === b.value &&
    a.schema === b.schema &&
    a.error === b.error &&
    a.label === b.label &&
    a.help === b.help &&
    a.required === b.required &&
    a.compact === b.compact &&
    (a.kind === b.kind || JSON.stringify(a.kind) === JSON.stringify(b.kind))
  );
}

/** Props every input shares: label (or accessible name in a table), help, error, test id. */
function common(p: LeafFieldProps) {
  return {
    size: p.compact ? ('xs' as const) : ('sm' as const),
    label: p.compact ? undefined : p.label,
    'aria-label': p.compact ? p.label : undefined,
    description: p.compact ? undefined : p.help,
    error: p.error,
    withAsterisk: !p.compact && p.required,
    'data-testid': `field-${p.pathStr}`,
    'data-path': p.pathStr,
  };
}

function clearButton(p: LeafFieldProps, readOnly: boolean, onClear: () => void): ReactNode {
  // A value equal to the default: clearing it would change nothing.
  if (readOnly || p.compact || p.required || p.value === undefined || p.value === p.schema.default) return undefined;
  return <CloseButton size="sm" aria-label={`Clear ${p.label}`} title={p.schema.default !== undefined ? 'Clear (use the default)' : 'Clear'} onClick={onClear} />;
}

function StringInput(p: LeafFieldProps & { multiline: boolean }) {
  const { readOnly, set } = useEditorActions();
  const text = typeof p.value === 'string' ? p.value : p.value === undefined ? '' : JSON.stringify(p.value);
  // An optional field left empty is absent: its default (if any) applies.
  const onText = (t: string) => set(p.path, t === '' && !p.required ? undefined : t);
  const placeholder = p.schema.default !== undefined ? String(p.schema.default) : undefined;
  if (p.multiline) {
    return (
      <Textarea
        {...common(p)}
        value={text}
        readOnly={readOnly}
        placeholder={placeholder}
        autosize
        minRows={p.compact ? 1 : 3}
        maxRows={14}
        styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
        onChange={(e) => onText(e.currentTarget.value)}
      />
    );
  }
  return (
    <TextInput
      {...common(p)}
      value={text}
      readOnly={readOnly}
      placeholder={placeholder}
      rightSection={clearButton(p, readOnly, () => set(p.path, undefined))}
      onChange={(e) => onText(e.currentTarget.value)}
    />
  );
}

/**
 * A secret arrives as `SECRET_MARKER`, which tells the API to keep the stored one. The input
 * stays empty while the marker is kept and takes a new value when one is typed; emptying it again
 * goes back to keeping the stored secret.
 */
function SecretInput(p: LeafFieldProps & { multiline: boolean }) {
  const { readOnly, set, base } = useEditorActions();
  // Whether the revision being edited holds a secret here, which the marker keeps.
  const stored = getAt(base, p.path) === SECRET_MARKER;
  const kept = p.value === SECRET_MARKER;
  const text = kept || typeof p.value !== 'string' ? '' : p.value;
  const placeholder = kept ? (readOnly ? 'Stored (hidden)' : 'Stored, unchanged: type to replace') : p.value === undefined ? 'Not set' : undefined;
  const onText = (t: string) => set(p.path, t !== '' ? t : stored ? SECRET_MARKER : p.required ? '' : undefined);
  const props = { ...common(p), value: text, readOnly, placeholder, 'data-secret': kept ? 'kept' : 'changed' };
  const input = p.multiline ? (
    <Textarea {...props} autosize minRows={3} maxRows={14} styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }} onChange={(e) => onText(e.currentTarget.value)} />
  ) : (
    <PasswordInput {...props} autoComplete="new-password" onChange={(e) => onText(e.currentTarget.value)} />
  );
  // One structure whatever the state, so the input keeps focus while the first letter is typed.
  const keep = !readOnly && stored && !kept;
  const remove = !readOnly && !p.compact && !p.required && p.value !== undefined;
  return (
    <div>
      {input}
      <Group gap="xs" mt={4} display={keep || remove ? undefined : 'none'}>
        {keep && (
          <Button size="compact-xs" variant="subtle" onClick={() => set(p.path, SECRET_MARKER)}>
            Keep the stored secret
          </Button>
        )}
        {remove && (
          <Button size="compact-xs" variant="subtle" color="red" onClick={() => set(p.path, undefined)}>
            Remove {inSentence(p.label)}
          </Button>
        )}
      </Group>
    </div>
  );
}

const NUMBER_RE = /^-?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;

/**
 * Numbers are typed as text and stored as numbers once they are one. A text that is not a number
 * yet ("1e", "-") is stored as it is, so the protocol's own message ("must be a number") shows;
 * the typed text is kept as typed while it means the stored number (so "1.0" does not jump to "1").
 */
function NumberField(p: LeafFieldProps & { integer: boolean }) {
  const { readOnly, set } = useEditorActions();
  const shown = (v: Json | undefined) => (v === undefined || v === null ? '' : typeof v === 'string' ? v : String(v));
  const [text, setText] = useState(() => shown(p.value));
  useEffect(() => {
    setText((t) => (sameNumber(t, p.value) ? t : shown(p.value)));
  }, [p.value]);
  const onText = (t: string) => {
    setText(t);
    const trimmed = t.trim();
    if (trimmed === '') set(p.path, undefined);
    else set(p.path, NUMBER_RE.test(trimmed) ? Number(trimmed) : t);
  };
  return (
    <TextInput
      {...common(p)}
      value={text}
      readOnly={readOnly}
      inputMode={p.integer ? 'numeric' : 'decimal'}
      placeholder={p.schema.default !== undefined ? String(p.schema.default) : undefined}
      rightSection={clearButton(p, readOnly, () => onText(''))}
      onChange={(e) => onText(e.currentTarget.value)}
    />
  );
}

function sameNumber(text: string, value: Json | undefined): boolean {
  const t = text.trim();
  if (value === undefined) return t === '';
  if (typeof value === 'number') return NUMBER_RE.test(t) && Number(t) === value;
  return text === value;
}

function BooleanField(p: LeafFieldProps) {
  const { readOnly, set } = useEditorActions();
  const checked = typeof p.value === 'boolean' ? p.value : p.schema.default === true;
  return (
    <Switch
      size={p.compact ? 'xs' : 'sm'}
      label={p.compact ? undefined : p.label}
      aria-label={p.compact ? p.label : undefined}
      description={p.compact ? undefined : p.help}
      error={p.error}
      checked={checked}
      disabled={readOnly}
      data-testid={`field-${p.pathStr}`}
      onChange={(e) => set(p.path, e.currentTarget.checked)}
      mt={p.compact ? 0 : 'xs'}
    />
  );
}

function EnumField(p: LeafFieldProps & { options: Json[] }) {
  const { readOnly, set } = useEditorActions();
  const current = p.value === undefined ? '' : String(p.value);
  const known = p.options.some((o) => String(o) === current);
  const data = [
    ...(p.value === undefined || !p.required ? [{ value: '', label: p.schema.default !== undefined ? `default (${String(p.schema.default)})` : p.required ? 'choose…' : 'not set' }] : []),
    ...(known || current === '' ? [] : [{ value: current, label: `${current} (not allowed)` }]),
    ...p.options.map((o) => ({ value: String(o), label: String(o) })),
  ];
  return (
    <NativeSelect
      {...common(p)}
      data={data}
      value={current}
      disabled={readOnly}
      onChange={(e) => {
        const v = e.currentTarget.value;
        set(p.path, v === '' ? undefined : (p.options.find((o) => String(o) === v) ?? v));
      }}
    />
  );
}
