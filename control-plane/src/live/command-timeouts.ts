import type { CommandName } from '@edgefleet/protocol';
import { z } from 'zod';

/**
 * How long the plane waits for each command's reply unless the caller says otherwise
 * (`?timeoutMs=`), and the most it may ask for. Commands that open a connection to a machine
 * (browse, test-connection: TCP, then for OPC UA a secure channel and a session) get longer
 * than those that use the agent's open one (read, write) or only its memory (read-values). The
 * agent works within the same deadline, so it answers, if only with "the device did not answer
 * in time", before the plane gives up.
 */
export const COMMAND_TIMEOUTS = {
  ping: { defaultMs: 5000, maxMs: 60_000 },
  'read-values': { defaultMs: 5000, maxMs: 60_000 },
  read: { defaultMs: 10_000, maxMs: 60_000 },
  write: { defaultMs: 10_000, maxMs: 60_000 },
  browse: { defaultMs: 20_000, maxMs: 120_000 },
  'test-connection': { defaultMs: 30_000, maxMs: 120_000 },
} as const satisfies Record<CommandName, { defaultMs: number; maxMs: number }>;

/** Below this the agent has no time left to do anything but answer. */
export const MIN_COMMAND_TIMEOUT_MS = 100;

/** The `timeoutMs` query parameter of a command's route. */
export function timeoutMsSchema(command: CommandName) {
  const { defaultMs, maxMs } = COMMAND_TIMEOUTS[command];
  return z.coerce.number().int().min(MIN_COMMAND_TIMEOUT_MS).max(maxMs).default(defaultMs);
}

/** The OpenAPI description of that parameter. */
export function timeoutMsQuery(command: CommandName) {
  const { defaultMs, maxMs } = COMMAND_TIMEOUTS[command];
  return {
    name: 'timeoutMs',
    required: false,
    description: `How long to wait for the agent's answer, in ms (default ${defaultMs}, at most ${maxMs}). No answer in time: 504 AGENT_TIMEOUT.`,
    schema: { type: 'integer' as const, minimum: MIN_COMMAND_TIMEOUT_MS, maximum: maxMs, default: defaultMs },
  };
}
