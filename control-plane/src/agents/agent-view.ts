import type { Agent } from '@prisma/client';
import { AgentViewSchema, type AgentView, type ComponentState, type HeartbeatMessage } from '@edgefleet/protocol';
import { z } from 'zod';
import { syncStatus } from './sync-status.js';

const ReportedComponentsSchema = z.object({ devices: AgentViewSchema.shape.devices, sinks: AgentViewSchema.shape.sinks });
const StringRecord = z.record(z.string(), z.string());
const UnknownRecord = z.record(z.string(), z.unknown());

/** The API's view of an agent row. JSON columns are re-checked, so a bad row cannot break the contract. */
export function toAgentView(a: Agent): AgentView {
  const reported = ReportedComponentsSchema.safeParse(a.reportedState);
  const components: { devices: ComponentState[]; sinks: ComponentState[] } = reported.success ? reported.data : { devices: [], sinks: [] };
  const lastError = AgentViewSchema.shape.lastError.safeParse(a.lastError ?? null);
  const heartbeat = AgentViewSchema.shape.heartbeat.safeParse(a.heartbeat ?? null);
  const labels = StringRecord.safeParse(a.labels);
  const facts = UnknownRecord.safeParse(a.facts);
  return {
    id: a.id,
    fleetId: a.fleetId,
    name: a.name,
    hardwareId: a.hardwareId,
    approval: a.approval,
    online: a.online,
    lastSeenAt: a.lastSeenAt?.toISOString() ?? null,
    desiredRevision: a.desiredRevision === 0 ? null : a.desiredRevision,
    appliedRevision: a.appliedRevision,
    syncStatus: syncStatus(a),
    lastError: lastError.success ? lastError.data : null,
    labels: labels.success ? labels.data : {},
    facts: facts.success ? facts.data : {},
    agentVersion: a.agentVersion,
    devices: components.devices,
    sinks: components.sinks,
    heartbeat: heartbeat.success ? (heartbeat.data as HeartbeatMessage | null) : null,
    enrolledAt: a.enrolledAt.toISOString(),
  };
}
