import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/client';
import { boxFacts } from './agent-facts';
import { decisionFailure } from './approval-api';

describe('boxFacts', () => {
  it('lists host, OS with architecture, agent and Node.js versions, then any other plain fact', () => {
    expect(
      boxFacts({
        agentVersion: null,
        facts: { serial: 'SN-42', hostname: 'press-gw', arch: 'arm64', os: 'linux', agentVersion: '0.4.1', nodeVersion: 'v22.11.0', cores: 4, nested: { a: 1 }, blank: ' ' },
      }),
    ).toEqual([
      { label: 'Host', value: 'press-gw' },
      { label: 'OS', value: 'linux arm64' },
      { label: 'Agent', value: '0.4.1' },
      { label: 'Node.js', value: 'v22.11.0' },
      { label: 'serial', value: 'SN-42' },
      { label: 'cores', value: '4' },
    ]);
  });

  it('prefers the agent version the control plane recorded, and answers nothing for a box that told nothing', () => {
    expect(boxFacts({ agentVersion: '0.5.0', facts: { agentVersion: '0.4.1' } })).toEqual([{ label: 'Agent', value: '0.5.0' }]);
    expect(boxFacts({ agentVersion: null, facts: {} })).toEqual([]);
  });
});

describe('decisionFailure', () => {
  it('puts a conflict, a deleted agent and any other error in words', () => {
    expect(decisionFailure(new ApiError(409, 'AGENT_NOT_PENDING', 'The agent is not waiting for approval'), 'press-gw', 'approve')).toMatch(/^"press-gw" is no longer waiting: someone else/);
    expect(decisionFailure(new ApiError(404, 'NOT_FOUND', 'no such agent'), 'press-gw', 'reject')).toBe('"press-gw" no longer exists: its record was deleted.');
    expect(decisionFailure(new Error('Failed to fetch'), 'press-gw', 'reject')).toBe('Cannot reject "press-gw": Failed to fetch');
  });
});
