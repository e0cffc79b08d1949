import type { Fleet } from '@prisma/client';
import { redactConfigSecrets, type FleetView } from '@edgefleet/protocol';

export type { FleetView };

export function toFleetView(f: Fleet & { _count: { agents: number } }): FleetView {
  return {
    id: f.id,
    name: f.name,
    description: f.description,
    template: redactConfigSecrets(f.template),
    agentCount: f._count.agents,
    createdAt: f.createdAt.toISOString(),
    updatedAt: f.updatedAt.toISOString(),
  };
}
