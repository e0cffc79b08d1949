import { Injectable } from '@nestjs/common';
import type { AgentSort, AgentView } from '@edgefleet/protocol';
import { AuditTrail } from '../audit/audit-trail.js';
import { AppError } from '../common/errors/app-error.js';
import type { Pagination } from '../common/http/pagination.js';
import { ApprovalService } from '../enrollment/approval.service.js';
import { ConfigPublisher } from '../fleet-broker/config-publisher.service.js';
import { AgentRepository, type AgentFilter } from './agent.repository.js';
import { toAgentView } from './agent-view.js';

@Injectable()
export class AgentsService {
  constructor(
    private readonly agents: AgentRepository,
    private readonly publisher: ConfigPublisher,
    private readonly approval: ApprovalService,
    private readonly audit: AuditTrail,
  ) {}

  async list(filter: AgentFilter, sort: AgentSort, page: Pagination): Promise<{ items: AgentView[]; total: number; limit: number; offset: number }> {
    const { items, total } = await this.agents.list(filter, sort, page);
    return { items: items.map(toAgentView), total, ...page };
  }

  async get(id: string): Promise<AgentView> {
    const a = await this.agents.findById(id);
    if (!a) throw new AppError('NOT_FOUND', `No agent ${id}`);
    return toAgentView(a);
  }

  /** Approves an agent waiting for approval (`ApprovalService`). */
  async approve(id: string, by: string): Promise<AgentView> {
    this.audit.note({ action: 'agent.approve', targetType: 'agent', targetId: id, before: { approval: 'pending' } });
    const agent = await this.approval.approve(id, by);
    this.audit.note({ after: { approval: agent.approval }, details: { fleetId: agent.fleetId, hardwareId: agent.hardwareId } });
    return toAgentView(agent);
  }

  /** Rejects an agent waiting for approval (`ApprovalService`). */
  async reject(id: string, by: string): Promise<AgentView> {
    this.audit.note({ action: 'agent.reject', targetType: 'agent', targetId: id, before: { approval: 'pending' } });
    const agent = await this.approval.reject(id, by);
    this.audit.note({ after: { approval: agent.approval }, details: { fleetId: agent.fleetId, hardwareId: agent.hardwareId } });
    return toAgentView(agent);
  }

  /** Deletes the agent and its revisions, and clears its retained config on the broker. */
  async delete(id: string): Promise<void> {
    this.audit.note({ action: 'agent.delete', targetType: 'agent', targetId: id });
    if (!(await this.agents.delete(id))) throw new AppError('NOT_FOUND', `No agent ${id}`);
    await this.publisher.clear(id);
  }
}
