import { useState, type ReactNode } from 'react';
import { ActionIcon, Box, Button, Fieldset, Group, NativeSelect, SimpleGrid, Stack, Text, TextInput, Textarea } from '@mantine/core';
import { isObject, pathString, type Json, type JsonObject, type Path } from './doc-path';
import { useEditorActions, useIssues } from './editor-context';
import { fieldKind, helpText, humanize, inSentence, isLeaf, matchOption, newItem, propertyKind, skeleton, switchOption, type FieldKind, type JsonSchema } from './json-schema';
import { ItemTable } from './ItemTable';
import { LeafField } from './LeafField';

export interface SchemaFieldProps {
  schema: JsonSchema;
  path: Path;
  value: Json | undefined;
  label: string;
  /** The property's key, when the field is one (decides e.g. single- or multi-line text). */
  name?: string;
  required?: boolean;
  /** Properties of this object that a section renders itself (a device's groups, a group's tags). */
  omit?: ReadonlyArray<string>;
  /** Render an object's fields without a frame of its own (the section around it has one). */
  bare?: boolean;
}

/**
 * The form of any part of the config, generated from its schema: inputs for values, framed
 * sub-forms for objects, a select that switches the fields for unions (a device's driver, a
 * sink's kind), lists and tables for arrays, key/value rows for records.
 */
export function SchemaField(props: SchemaFieldProps) {
  const kind = props.name !== undefined ? propertyKind(props.name, props.schema) : fieldKind(props.schema);
  switch (kind.kind) {
    case 'object':
      return <ObjectField {...props} kind={kind} />;
    case 'union':
      return <UnionField {...props} kind={kind} />;
    case 'array':
      return <ArrayField {...props} kind={kind} />;
    case 'record':
      return <RecordField {...props} kind={kind} />;
    case 'unknown':
      return <JsonField {...props} />;
    default:
      return <Leaf {...props} kind={kind} />;
  }
}

function Leaf(props: SchemaFieldProps & { kind: FieldKind }) {
  const issues = useIssues();
  const pathStr = pathString(props.path);
  return (
    <LeafField
      schema={props.schema}
      kind={props.kind}
      path={props.path}
      pathStr={pathStr}
      value={props.value}
      label={props.label}
      help={helpText(props.schema, { required: props.required ?? false })}
      required={props.required ?? false}
      error={issues.messageAt(pathStr)}
    />
  );
}

/** Issues at this very node (an object's own: unknown fields, "cert and key go together"…). */
function OwnIssues({ path }: { path: Path }) {
  const message = useIssues().messageAt(pathString(path));
  if (!message) return null;
  return (
    <Text c="red" size="sm" role="alert" data-testid={`issue-${pathString(path)}`}>
      {message}
    </Text>
  );
}

/** Names shown first, then simple inputs, then nested forms and lists. */
const FIRST = ['name', 'enabled', 'settings'];
function orderFields(entries: Array<[string, JsonSchema]>): Array<[string, JsonSchema]> {
  const rank = ([key, schema]: [string, JsonSchema]) => {
    const first = FIRST.indexOf(key);
    if (first === 0 || first === 1) return first;
    if (isLeaf(schema)) return 2;
    if (first === 2) return 3;
    return 4;
  };
  return entries.map((e, i) => ({ e, i, r: rank(e) })).sort((a, b) => a.r - b.r || a.i - b.i).map((x) => x.e);
}

function ObjectField(props: SchemaFieldProps & { kind: Extract<FieldKind, { kind: 'object' }>; leading?: ReactNode; hide?: string }) {
  const { readOnly, set } = useEditorActions();
  const { schema, path, value, label, kind } = props;
  const optional = !(props.required ?? false) && schema.default === undefined;
  if (value === undefined && optional) {
    return readOnly ? (
      <Text size="sm" c="dimmed">
        {label}: not set
      </Text>
    ) : (
      <Box>
        <Button variant="light" size="xs" onClick={() => set(path, skeleton(schema) ?? {})} data-testid={`add-${pathString(path)}`}>
          Add {inSentence(label)}
        </Button>
      </Box>
    );
  }
  const obj: JsonObject = isObject(value as Json) ? (value as JsonObject) : {};
  const entries = orderFields(kind.properties.filter(([key, s]) => key !== props.hide && !props.omit?.includes(key) && !(s.const !== undefined && kind.required.has(key))));
  const leaves = entries.filter(([, s]) => isLeaf(s));
  const nested = entries.filter(([, s]) => !isLeaf(s));
  const body = (
    <Stack gap="sm">
      {props.leading}
      <OwnIssues path={path} />
      {leaves.length > 0 && (
        <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }} spacing="sm" verticalSpacing="xs">
          {leaves.map(([key, s]) => (
            <SchemaField key={key} schema={s} name={key} path={[...path, key]} value={obj[key]} label={humanize(key)} required={kind.required.has(key)} />
          ))}
        </SimpleGrid>
      )}
      {nested.map(([key, s]) => (
        <SchemaField key={key} schema={s} name={key} path={[...path, key]} value={obj[key]} label={humanize(key)} required={kind.required.has(key)} />
      ))}
      {optional && !readOnly && (
        <Group>
          <Button variant="subtle" color="red" size="compact-xs" onClick={() => set(path, undefined)}>
            Remove {inSentence(label)}
          </Button>
        </Group>
      )}
    </Stack>
  );
  if (props.bare) return body;
  return (
    <Fieldset legend={label} data-testid={`section-${pathString(path)}`} p="sm">
      {body}
    </Fieldset>
  );
}

function UnionField(props: SchemaFieldProps & { kind: Extract<FieldKind, { kind: 'union' }> }) {
  const { readOnly, set } = useEditorActions();
  const issues = useIssues();
  const { kind, path, schema } = props;
  const effective = props.value ?? schema.default;
  const option = matchOption(kind, effective);
  const pathStr = pathString(path);
  const selectorPath = kind.discriminator ? [...path, kind.discriminator] : path;
  const selectorStr = pathString(selectorPath);
  // Without a discriminator the frame around says what is chosen (`Broker`: fleet or custom settings).
  const selector = (
    <NativeSelect
      label={kind.discriminator ? humanize(kind.discriminator) : undefined}
      aria-label={kind.discriminator ? undefined : props.label}
      description={schema.description}
      data={[...(option ? [] : [{ value: '', label: 'choose…' }]), ...kind.options.map((o) => ({ value: o.value, label: o.label }))]}
      value={option?.value ?? ''}
      disabled={readOnly}
      error={issues.messageAt(selectorStr) ?? (kind.discriminator ? undefined : issues.messageAt(pathStr))}
      data-testid={`field-${selectorStr}`}
      data-path={selectorStr}
      withAsterisk={props.required}
      onChange={(e) => {
        const to = kind.options.find((o) => o.value === e.currentTarget.value);
        if (to) set(path, switchOption(kind, effective, to));
      }}
      maw={360}
    />
  );
  const optionKind = option ? fieldKind(option.schema) : undefined;
  if (optionKind?.kind === 'object') {
    return (
      <ObjectField
        {...props}
        schema={option?.schema ?? schema}
        required
        kind={optionKind}
        value={effective}
        hide={kind.discriminator}
        leading={selector}
      />
    );
  }
  const inner = (
    <Stack gap="sm">
      {selector}
      {kind.discriminator === undefined ? null : <OwnIssues path={path} />}
    </Stack>
  );
  if (props.bare) return inner;
  return (
    <Fieldset legend={props.label} p="sm" data-testid={`section-${pathStr}`}>
      {inner}
    </Fieldset>
  );
}

function isFlatObject(schema: JsonSchema): boolean {
  const k = fieldKind(schema);
  return k.kind === 'object' && k.properties.every(([, s]) => isLeaf(s));
}

function ArrayField(props: SchemaFieldProps & { kind: Extract<FieldKind, { kind: 'array' }> }) {
  const { readOnly, set } = useEditorActions();
  const { kind, path, label } = props;
  const list: Json[] = Array.isArray(props.value) ? props.value : [];
  const noun = singular(props.name ?? label);
  if (isFlatObject(kind.items)) {
    return (
      <Fieldset legend={label} p="sm" data-testid={`section-${pathString(path)}`}>
        <ItemTable itemSchema={kind.items} path={path} items={list} noun={noun} />
      </Fieldset>
    );
  }
  const leafItems = isLeaf(kind.items);
  return (
    <Fieldset legend={label} p="sm" data-testid={`section-${pathString(path)}`}>
      <Stack gap="xs">
        <OwnIssues path={path} />
        {list.length === 0 && (
          <Text size="sm" c="dimmed">
            None.
          </Text>
        )}
        {list.map((item, i) => (
          <Group key={i} align="flex-start" wrap="nowrap" gap="xs">
            <Box style={{ flex: 1 }}>
              <SchemaField schema={kind.items} path={[...path, i]} value={item} label={`${humanize(noun)} ${i + 1}`} required />
            </Box>
            {!readOnly && (
              <ActionIcon variant="subtle" color="red" mt={leafItems ? 28 : 8} aria-label={`Remove ${noun} ${i + 1}`} onClick={() => set([...path, i], undefined)}>
                ×
              </ActionIcon>
            )}
          </Group>
        ))}
        {!readOnly && (
          <Group>
            <Button variant="light" size="xs" onClick={() => set(path, [...list, newItem(kind.items, noun, list)])} data-testid={`add-${pathString(path)}`}>
              Add {noun}
            </Button>
          </Group>
        )}
      </Stack>
    </Fieldset>
  );
}

/** `trustedServerCertificates` → `trusted server certificate`, `subscriptions` → `subscription`. */
function singular(name: string): string {
  const words = humanize(name).toLowerCase();
  return words.endsWith('ies') ? `${words.slice(0, -3)}y` : words.endsWith('s') ? words.slice(0, -1) : words;
}

function RecordField(props: SchemaFieldProps & { kind: Extract<FieldKind, { kind: 'record' }> }) {
  const { readOnly, set } = useEditorActions();
  const issues = useIssues();
  const { path, kind, label } = props;
  const record: JsonObject = isObject(props.value as Json) ? (props.value as JsonObject) : {};
  const entries = Object.entries(record);
  const rename = (from: string, to: string) => {
    const next: JsonObject = {};
    for (const [k, v] of entries) next[k === from ? to : k] = v;
    set(path, next);
  };
  return (
    <Fieldset legend={label} p="sm" data-testid={`section-${pathString(path)}`}>
      <Stack gap="xs">
        <OwnIssues path={path} />
        {entries.length === 0 && (
          <Text size="sm" c="dimmed">
            None.
          </Text>
        )}
        {entries.map(([key, v], i) => (
          <Group key={i} align="flex-start" wrap="nowrap" gap="xs">
            <TextInput aria-label={`${label}: name ${i + 1}`} size="xs" value={key} readOnly={readOnly} onChange={(e) => rename(key, e.currentTarget.value)} style={{ flex: 1 }} />
            <Box style={{ flex: 2 }}>
              <LeafField
                schema={kind.values}
                kind={fieldKind(kind.values)}
                path={[...path, key]}
                pathStr={pathString([...path, key])}
                value={v}
                label={`${label}: value of ${key}`}
                required
                compact
                error={issues.messageAt(pathString([...path, key]))}
              />
            </Box>
            {!readOnly && (
              <ActionIcon variant="subtle" color="red" aria-label={`Remove ${key}`} onClick={() => set([...path, key], undefined)}>
                ×
              </ActionIcon>
            )}
          </Group>
        ))}
        {!readOnly && (
          <Group>
            <Button
              variant="light"
              size="xs"
              onClick={() => {
                let n = entries.length + 1;
                while (`key${n}` in record) n++;
                set(path, { ...record, [`key${n}`]: skeleton(kind.values) ?? '' });
              }}
            >
              Add entry
            </Button>
          </Group>
        )}
      </Stack>
    </Fieldset>
  );
}

/** A part the form has no input for: edited as JSON. */
function JsonField(props: SchemaFieldProps) {
  const { readOnly, set } = useEditorActions();
  const issues = useIssues();
  const pathStr = pathString(props.path);
  const [text, setText] = useState(() => (props.value === undefined ? '' : JSON.stringify(props.value, null, 2)));
  const [bad, setBad] = useState<string | null>(null);
  return (
    <Stack gap={4}>
      <Textarea
        label={props.label}
        description="Edited as JSON"
        value={text}
        readOnly={readOnly}
        autosize
        minRows={2}
        styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
        error={bad ?? issues.messageAt(pathStr)}
        data-testid={`field-${pathStr}`}
        data-path={pathStr}
        onChange={(e) => setText(e.currentTarget.value)}
        onBlur={() => {
          if (text.trim() === '') {
            setBad(null);
            set(props.path, undefined);
            return;
          }
          try {
            set(props.path, JSON.parse(text) as Json);
            setBad(null);
          } catch (err) {
            setBad(`not valid JSON: ${(err as Error).message}`);
          }
        }}
      />
    </Stack>
  );
}
