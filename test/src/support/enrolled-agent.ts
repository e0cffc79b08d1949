import path from 'node:path';
import { EnrollmentTokenCreatedSchema } from '@edgefleet/protocol';
import { spawnAgent, type AgentProcess } from './agent-process.js';
import { eventually } from './eventually.js';
import { AgentListSchema, FleetListSchema } from './fixtures.js';
import type { Stack } from './stack.js';

/**
 * An agent process enrolled the way a box is: a token from the API, the agent's own key and
 * CSR, then connected to the fleet broker. Resolves once the plane shows it online.
 */
export async function startEnrolledAgent(stack: Stack, dir: string, name: string): Promise<{ agent: AgentProcess; agentId: string }> {
  const fleets = await stack.api('GET', '/api/v1/fleets', undefined, FleetListSchema);
  const token = await stack.api('POST', `/api/v1/fleets/${fleets[0]!.id}/enrollment-tokens`, { maxUses: 1 }, EnrollmentTokenCreatedSchema);
  const agent = await spawnAgent({ stateDir: path.join(dir, name), controlPlaneUrl: stack.apiUrl, token: token.token, name, hardwareId: `hw-${name}` });
  const agentId = await eventually(
    async () => (await stack.api('GET', '/api/v1/agents', undefined, AgentListSchema)).items.find((a) => a.name === name && a.online)?.id,
    `agent '${name}' enrolled and online`,
  );
  return { agent, agentId };
}
