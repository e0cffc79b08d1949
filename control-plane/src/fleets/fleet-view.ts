import type { Fleet } from '@prisma/client';

export interface FleetView {
  id: string;
  name: string;
  description: string | null;
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
    template: f.template,
    agentCount: f._count.agents,
    createdAt: f.createdAt.toISOString(),
    updatedAt: f.updatedAt.toISOString(),
  };
}
