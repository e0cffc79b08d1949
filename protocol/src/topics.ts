/**
 * The control channel's topic layout (MQTT 3.1.1-compatible, so any broker works):
 *
 *   ef/v1/{agentId}/config               plane → agent   retained, QoS 1
 *   ef/v1/{agentId}/state                agent → plane   retained, QoS 1
 *   ef/v1/{agentId}/presence             agent → plane   retained, last will
 *   ef/v1/{agentId}/heartbeat            agent → plane   QoS 0
 *   ef/v1/{agentId}/cmd/{requestId}      plane → agent   QoS 1
 *   ef/v1/{agentId}/reply/{requestId}    agent → plane   QoS 1
 *   ef/v1/{agentId}/data/...             agent → consumers (MQTT sinks on the fleet broker)
 *
 * and the access rules every broker enforces (embedded broker, Mosquitto ACL, EMQX authz).
 */
export const TOPIC_ROOT = 'ef/v1';

/** Agent ids are UUIDs: the certificate CN, the MQTT client id and the namespace. */
export const AGENT_ID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Certificate CN of control-plane replicas on the fleet broker. */
export const CONTROL_PLANE_IDENTITY = 'edgefleet-control-plane';

/** Shared-subscription group used by control-plane replicas to split ingestion. */
export const CONTROL_PLANE_SHARE_GROUP = 'edgefleet-cp';

export const topics = {
  config: (agentId: string) => `${TOPIC_ROOT}/${agentId}/config`,
  state: (agentId: string) => `${TOPIC_ROOT}/${agentId}/state`,
  presence: (agentId: string) => `${TOPIC_ROOT}/${agentId}/presence`,
  heartbeat: (agentId: string) => `${TOPIC_ROOT}/${agentId}/heartbeat`,
  command: (agentId: string, requestId: string) => `${TOPIC_ROOT}/${agentId}/cmd/${requestId}`,
  reply: (agentId: string, requestId: string) => `${TOPIC_ROOT}/${agentId}/reply/${requestId}`,
  dataRoot: (agentId: string) => `${TOPIC_ROOT}/${agentId}/data`,
} as const;

/** Subscriptions an agent makes on its own namespace. */
export const agentSubscriptions = (agentId: string): string[] => [topics.config(agentId), `${TOPIC_ROOT}/${agentId}/cmd/+`];

/** Filters the control plane subscribes to (all agents). */
export const planeFilters = {
  state: `${TOPIC_ROOT}/+/state`,
  presence: `${TOPIC_ROOT}/+/presence`,
  heartbeat: `${TOPIC_ROOT}/+/heartbeat`,
  reply: `${TOPIC_ROOT}/+/reply/+`,
} as const;

/** `$share/{group}/{filter}` — MQTT 5 shared subscription, also honoured for 3.1.1 by EMQX and Mosquitto. */
export function sharedFilter(filter: string, group = CONTROL_PLANE_SHARE_GROUP): string {
  return `$share/${group}/${filter}`;
}

export type ChannelKind = 'config' | 'state' | 'presence' | 'heartbeat' | 'cmd' | 'reply' | 'data';

export interface ParsedTopic {
  agentId: string;
  kind: ChannelKind;
  /** requestId for cmd/reply, the rest of the path for data. */
  rest?: string;
}

/** Parses a concrete topic of the control channel; undefined for anything else. */
export function parseTopic(topic: string): ParsedTopic | undefined {
  const parts = topic.split('/');
  if (parts.length < 4 || parts[0] !== 'ef' || parts[1] !== 'v1') return undefined;
  const agentId = parts[2] as string;
  if (!AGENT_ID_RE.test(agentId)) return undefined;
  const kind = parts[3] as string;
  switch (kind) {
    case 'config':
    case 'state':
    case 'presence':
    case 'heartbeat':
      return parts.length === 4 ? { agentId, kind } : undefined;
    case 'cmd':
    case 'reply':
      return parts.length === 5 && parts[4] !== '' ? { agentId, kind, rest: parts[4] as string } : undefined;
    case 'data':
      return parts.length > 4 ? { agentId, kind, rest: parts.slice(4).join('/') } : undefined;
    default:
      return undefined;
  }
}

export type BrokerIdentity = { kind: 'agent'; agentId: string } | { kind: 'control-plane' };

/** Maps a client certificate's CN to an identity; undefined means the broker refuses the client. */
export function identityFromCommonName(cn: string | undefined): BrokerIdentity | undefined {
  if (!cn) return undefined;
  if (cn === CONTROL_PLANE_IDENTITY) return { kind: 'control-plane' };
  if (AGENT_ID_RE.test(cn)) return { kind: 'agent', agentId: cn };
  return undefined;
}

/** Does a concrete topic match an MQTT filter with `+` and `#` wildcards [MQTT-4.7.1]? */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    const level = f[i];
    if (level === '#') return true;
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}

/** Is every topic that filter `inner` can match also matched by `outer`? */
export function filterCovers(outer: string, inner: string): boolean {
  const o = outer.split('/');
  const n = inner.split('/');
  for (let i = 0; i < o.length; i++) {
    const ol = o[i];
    if (ol === '#') return true;
    const nl = n[i];
    if (nl === undefined) return false;
    if (nl === '#') return false;
    if (ol === '+') continue;
    if (nl === '+' || nl !== ol) return false;
  }
  return o.length === n.length;
}

/** What an agent may publish: its reports and its data, never its own config or commands. */
export function agentPublishFilters(agentId: string): string[] {
  const ns = `${TOPIC_ROOT}/${agentId}`;
  return [`${ns}/state`, `${ns}/presence`, `${ns}/heartbeat`, `${ns}/reply/+`, `${ns}/data/#`];
}

/** What an agent may subscribe to: its config and its commands. */
export function agentSubscribeFilters(agentId: string): string[] {
  return agentSubscriptions(agentId);
}

function stripShare(filter: string): string | undefined {
  if (!filter.startsWith('$share/')) return filter;
  const parts = filter.split('/');
  return parts.length >= 3 && parts[1] !== '' ? parts.slice(2).join('/') : undefined;
}

/**
 * The broker's access rule. Agents: least privilege inside `ef/v1/{own id}/`. The control plane:
 * anything under `ef/v1/` (including shared subscriptions), nothing else.
 */
export function mayPublish(identity: BrokerIdentity, topic: string): boolean {
  if (topic.includes('+') || topic.includes('#')) return false;
  if (identity.kind === 'control-plane') return topic.startsWith(`${TOPIC_ROOT}/`);
  return agentPublishFilters(identity.agentId).some((f) => topicMatches(f, topic));
}

export function maySubscribe(identity: BrokerIdentity, filter: string): boolean {
  if (identity.kind === 'control-plane') {
    const plain = stripShare(filter);
    return plain !== undefined && filterCovers(`${TOPIC_ROOT}/#`, plain);
  }
  if (filter.startsWith('$share/')) return false;
  return agentSubscribeFilters(identity.agentId).some((f) => filterCovers(f, filter));
}
