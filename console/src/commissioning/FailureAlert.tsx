import { Alert, Button, List, Stack, Text } from '@mantine/core';
import { explainFailure } from './explain';

/**
 * A failed call in plain words: what went wrong, the API's own message, what to do about it and,
 * for a refused request, each field with its reason. Stays until the next attempt.
 */
export function FailureAlert({
  error,
  doing,
  onRetry,
  describePath,
  testId,
}: {
  error: unknown;
  /** What was being done, for the title when the code has no better one: "Testing the connection". */
  doing: string;
  onRetry?: () => void;
  /** Turns an issue path into words (e.g. with the names of the devices it points at). */
  describePath?: (path: string) => string;
  testId?: string;
}) {
  const e = explainFailure(error, doing);
  return (
    <Alert color="red" role="alert" title={e.title} data-testid={testId}>
      <Stack gap={6}>
        {e.message !== e.title && <Text size="sm">{e.message}</Text>}
        {e.hint && (
          <Text size="sm" c="dimmed">
            {e.hint}
          </Text>
        )}
        {e.issues.length > 0 && (
          <List size="sm" spacing={2}>
            {e.issues.map((issue, i) => (
              <List.Item key={i}>
                <Text span fw={500} size="sm">
                  {describePath ? describePath(issue.path) : issue.path}
                </Text>
                : {issue.message}
              </List.Item>
            ))}
          </List>
        )}
        {onRetry && (
          <div>
            <Button size="xs" variant="light" color="red" onClick={onRetry}>
              Try again
            </Button>
          </div>
        )}
      </Stack>
    </Alert>
  );
}
