import type { PeerCertificate, TLSSocket } from 'node:tls';
import { CONTROL_PLANE_IDENTITY, type BrokerIdentity, identityFromCommonName, mayPublish, maySubscribe } from '@edgefleet/protocol';

/**
 * The fleet broker's authentication and authorization rules, exactly as the production brokers
 * are configured (Mosquitto `use_identity_as_username` + ACL, EMQX mTLS + authz):
 *
 * - identity is the CN of the verified client certificate, mapped by `identityFromCommonName`;
 * - an agent's client id is its CN, so no one can take over another agent's session
 *   ([MQTT-3.1.4-2] lets a new connection with the same client id displace the old one);
 * - control-plane replicas use client ids starting with `edgefleet-control-plane`;
 * - publishes, last wills and subscriptions go through the protocol's `mayPublish` / `maySubscribe`.
 *
 * Pure functions, so the rule can be read and tested without a socket.
 */

export type ConnectDecision = { ok: true; identity: BrokerIdentity } | { ok: false; reason: string };

export interface ConnectAttempt {
  /** CN of the verified client certificate; undefined when there is none. */
  commonName: string | undefined;
  clientId: string;
  will?: { topic: string } | undefined;
  revoked: boolean;
}

export function decideConnect(attempt: ConnectAttempt): ConnectDecision {
  const identity = identityFromCommonName(attempt.commonName);
  if (!identity) return { ok: false, reason: `certificate CN ${JSON.stringify(attempt.commonName ?? null)} is not a fleet identity` };
  if (attempt.revoked) return { ok: false, reason: `certificate CN ${attempt.commonName} is revoked` };
  if (identity.kind === 'agent' && attempt.clientId !== identity.agentId) {
    return { ok: false, reason: `agent ${identity.agentId} must connect with its id as client id, not ${JSON.stringify(attempt.clientId)}` };
  }
  if (identity.kind === 'control-plane' && !attempt.clientId.startsWith(CONTROL_PLANE_IDENTITY)) {
    return { ok: false, reason: `control-plane client ids must start with ${CONTROL_PLANE_IDENTITY}, not ${JSON.stringify(attempt.clientId)}` };
  }
  // Checked at CONNECT as Mosquitto 2 does, so a forbidden will is refused up front instead of
  // being dropped silently when the client dies.
  if (attempt.will && !mayPublish(identity, attempt.will.topic)) {
    return { ok: false, reason: `last will topic ${attempt.will.topic} is not allowed` };
  }
  return { ok: true, identity };
}

/**
 * aedes 1.x has no shared subscriptions: a `$share/{group}/{filter}` subscription would be stored
 * as a literal filter that no publish ever matches. It is refused (SUBACK 0x80) for everyone so a
 * control plane configured with `sharedSubscriptions: true` fails loudly instead of hearing
 * nothing; with the embedded broker the control plane subscribes with plain filters.
 */
export const SHARED_SUBSCRIPTIONS_SUPPORTED = false;

export function decideSubscribe(identity: BrokerIdentity, filter: string): boolean {
  if (!SHARED_SUBSCRIPTIONS_SUPPORTED && filter.startsWith('$share/')) return false;
  return maySubscribe(identity, filter);
}

export function decidePublish(identity: BrokerIdentity, topic: string): boolean {
  return mayPublish(identity, topic);
}

/** The CN of a TLS peer's verified certificate; undefined without one or with several CNs. */
export function peerCommonName(socket: TLSSocket): string | undefined {
  if (!socket.authorized) return undefined;
  const cert: PeerCertificate | undefined = socket.getPeerCertificate();
  const cn: unknown = cert?.subject?.CN;
  return typeof cn === 'string' && cn !== '' ? cn : undefined;
}
