/**
 * Revisions are numbered per agent, 1, 2, 3 … with no gaps: the next one is the agent's
 * desired revision plus one, taken while the agent row is locked so concurrent writers queue.
 */
export function nextRevision(desiredRevision: number): number {
  if (!Number.isInteger(desiredRevision) || desiredRevision < 0) throw new Error(`invalid desired revision ${desiredRevision}`);
  return desiredRevision + 1;
}
