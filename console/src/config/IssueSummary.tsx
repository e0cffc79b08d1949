import { Alert, Anchor, List, Text } from '@mantine/core';
import type { ValidationIssue } from '@edgefleet/protocol/browser';

const SHOWN = 50;

export interface IssueSummaryProps {
  issues: ReadonlyArray<ValidationIssue>;
  /** Brings the field of an issue into view. */
  onPick: (issue: ValidationIssue) => void;
  /** The line of the raw text each issue points at, in the raw view. */
  lines?: Map<ValidationIssue, number> | undefined;
}

/** Every problem of the document with its place; each one leads to its field. */
export function IssueSummary({ issues, onPick, lines }: IssueSummaryProps) {
  if (issues.length === 0) return null;
  return (
    <Alert color="red" role="alert" title={`${issues.length} ${issues.length === 1 ? 'problem' : 'problems'} to fix before saving`} data-testid="issue-summary">
      <List size="sm" spacing={2}>
        {issues.slice(0, SHOWN).map((issue) => {
          const line = lines?.get(issue);
          return (
            <List.Item key={`${issue.path}\u0000${issue.message}`}>
              <Anchor component="button" type="button" size="sm" onClick={() => onPick(issue)} ff="monospace">
                {line !== undefined ? `line ${line}, ` : ''}
                {issue.path}
              </Anchor>
              <Text span size="sm">
                : {issue.message}
              </Text>
            </List.Item>
          );
        })}
      </List>
      {issues.length > SHOWN && (
        <Text size="sm" mt={4}>
          …and {issues.length - SHOWN} more.
        </Text>
      )}
    </Alert>
  );
}
