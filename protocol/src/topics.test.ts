import { describe, expect, it } from 'vitest';
import { filterCovers, identityFromCommonName, mayPublish, maySubscribe, parseTopic, topics, topicMatches } from './topics.js';

const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';
const agentA = { kind: 'agent', agentId: A } as const;
const plane = { kind: 'control-plane' } as const;

describe('topic access rules', () => {
  it('lets an agent publish only its reports and data', () => {
    expect(mayPublish(agentA, topics.state(A))).toBe(true);
    expect(mayPublish(agentA, topics.reply(A, 'abcdefgh'))).toBe(true);
    expect(mayPublish(agentA, `${topics.dataRoot(A)}/s/d/g`)).toBe(true);
    expect(mayPublish(agentA, topics.config(A))).toBe(false);
    expect(mayPublish(agentA, topics.command(A, 'abcdefgh'))).toBe(false);
    expect(mayPublish(agentA, topics.state(B))).toBe(false);
    expect(mayPublish(agentA, 'elsewhere')).toBe(false);
  });

  it('lets an agent subscribe only to its config and commands, never by wildcard across agents', () => {
    expect(maySubscribe(agentA, topics.config(A))).toBe(true);
    expect(maySubscribe(agentA, `ef/v1/${A}/cmd/+`)).toBe(true);
    expect(maySubscribe(agentA, topics.command(A, 'abcdefgh'))).toBe(true);
    expect(maySubscribe(agentA, topics.config(B))).toBe(false);
    expect(maySubscribe(agentA, 'ef/v1/+/config')).toBe(false);
    expect(maySubscribe(agentA, `ef/v1/${A}/#`)).toBe(false);
    expect(maySubscribe(agentA, '#')).toBe(false);
    expect(maySubscribe(agentA, `$share/x/ef/v1/${A}/config`)).toBe(false);
  });

  it('lets the control plane use the whole namespace and shared subscriptions', () => {
    expect(maySubscribe(plane, 'ef/v1/+/state')).toBe(true);
    expect(maySubscribe(plane, '$share/edgefleet-cp/ef/v1/+/state')).toBe(true);
    expect(maySubscribe(plane, '#')).toBe(false);
    expect(mayPublish(plane, topics.config(A))).toBe(true);
    expect(mayPublish(plane, '$SYS/x')).toBe(false);
  });

  it('maps certificate common names to identities', () => {
    expect(identityFromCommonName(A)).toEqual(agentA);
    expect(identityFromCommonName('edgefleet-control-plane')).toEqual(plane);
    expect(identityFromCommonName('mallory')).toBeUndefined();
    expect(identityFromCommonName(undefined)).toBeUndefined();
  });
});

describe('topic helpers', () => {
  it('parses channel topics', () => {
    expect(parseTopic(topics.reply(A, 'req12345'))).toEqual({ agentId: A, kind: 'reply', rest: 'req12345' });
    expect(parseTopic(topics.state(A))).toEqual({ agentId: A, kind: 'state' });
    expect(parseTopic('ef/v1/not-an-id/state')).toBeUndefined();
    expect(parseTopic(`ef/v1/${A}/state/extra`)).toBeUndefined();
  });
  it('matches and covers filters', () => {
    expect(topicMatches('a/+/c', 'a/b/c')).toBe(true);
    expect(topicMatches('a/#', 'a/b/c')).toBe(true);
    expect(topicMatches('a/+', 'a/b/c')).toBe(false);
    expect(filterCovers('a/+/c', 'a/b/c')).toBe(true);
    expect(filterCovers('a/b/c', 'a/+/c')).toBe(false);
    expect(filterCovers('a/#', 'a/+/#')).toBe(true);
  });
});
