import type { Fleet } from '@prisma/client';
import { redactConfigSecrets } from '@edgefleet/protocol';

export interface FleetView {
  id: string;
  name: string;
  description: string | null;
  /** The config document new agents get; secrets shown as `SECRET_MARKER`. */
  template: unknown;
  agentCount: number;
  createdAt: string;
  updatedAt: string;
}

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
