import type { Ref } from 'react';
import { Alert, Group, SegmentedControl, Stack, Text, Textarea } from '@mantine/core';
import type { RawFormat, SyntaxProblem } from './raw-text';

export interface RawEditorProps {
  format: RawFormat;
  text: string;
  problem: SyntaxProblem | null;
  readOnly: boolean;
  onFormat: (format: RawFormat) => void;
  onText: (text: string) => void;
  textareaRef?: Ref<HTMLTextAreaElement>;
}

/**
 * The document as YAML or JSON text. Every edit that parses becomes the document the form shows;
 * one that does not is reported with its line and column, and the view stays here until it is
 * fixed.
 */
export function RawEditor({ format, text, problem, readOnly, onFormat, onText, textareaRef }: RawEditorProps) {
  return (
    <Stack gap="xs">
      <Group justify="space-between">
        <SegmentedControl
          size="xs"
          value={format}
          onChange={(v) => onFormat(v as RawFormat)}
          data={[
            { value: 'yaml', label: 'YAML' },
            { value: 'json', label: 'JSON' },
          ]}
          aria-label="Text format"
          data-testid="raw-format"
        />
        <Text size="xs" c="dimmed">
          {readOnly ? 'Read only.' : 'Secrets show as ******** and stay as stored unless you replace them.'}
        </Text>
      </Group>
      {problem && (
        <Alert color="red" role="alert" title={`${format === 'json' ? 'JSON' : 'YAML'} syntax error at line ${problem.line}, column ${problem.column}`} data-testid="raw-syntax-error">
          {problem.message}
        </Alert>
      )}
      <Textarea
        ref={textareaRef}
        aria-label={`Config as ${format === 'json' ? 'JSON' : 'YAML'}`}
        value={text}
        readOnly={readOnly}
        rows={28}
        spellCheck={false}
        autoCapitalize="off"
        autoCorrect="off"
        styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)', fontSize: 13, whiteSpace: 'pre', overflowX: 'auto' } }}
        onChange={(e) => onText(e.currentTarget.value)}
        data-testid="raw-text"
      />
    </Stack>
  );
}
