import { parseArgs } from 'node:util';
import { describe, expect, it } from 'vitest';
import { agentArguments } from './local-agent.js';

describe('agentArguments', () => {
  it('passes a token that starts with a dash so the agent CLI reads it as the value', () => {
    const args = agentArguments({ stateDir: '/s', enroll: { controlPlaneUrl: 'http://localhost:1', token: '-abc_DEF', name: 'local-agent', hardwareId: 'local-1' } });
    // The agent's CLI parses its arguments with node:util parseArgs, strings for these options.
    const string = { type: 'string' } as const;
    const { values } = parseArgs({ args: args.slice(1), options: { 'state-dir': string, 'control-plane': string, token: string, name: string, 'hardware-id': string } });
    expect(values).toEqual({ 'state-dir': '/s', 'control-plane': 'http://localhost:1', token: '-abc_DEF', name: 'local-agent', 'hardware-id': 'local-1' });
  });
});
