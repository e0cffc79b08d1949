import type { CommandResult, ConfigRevisionView, Device, TestConnectionResult } from '@edgefleet/protocol/browser';
import { ApiError, type ApiClient } from '../api/client';

export type BrowseResult = CommandResult<'browse'>;
export type ReadResult = CommandResult<'read'>;

/**
 * The calls commissioning makes, typed: the agent's desired config, and the live commands
 * (control-plane/src/live/live.controller.ts, configs/*.controller.ts).
 */
export interface CommissioningApi {
  /** The desired config, or null when the agent has none yet (404). */
  desiredConfig(): Promise<ConfigRevisionView | null>;
  putConfig(document: unknown, comment: string): Promise<ConfigRevisionView>;
  /** A device in full; `********` at a secret takes the saved device's secret. */
  testConnection(device: Device): Promise<TestConnectionResult>;
  /** Adds the fingerprint to the saved OPC UA device's trusted certificates, in a new revision. */
  trustCertificate(deviceName: string, fingerprint: string): Promise<ConfigRevisionView>;
  /** The children of `nodeId` (default: the Objects folder) on a saved device (by name) or one given in full. */
  browse(device: string | Device, nodeId?: string): Promise<BrowseResult>;
  /** Reads a group, or one tag of it, from the device now. */
  read(args: { device: string; group: string; tag?: string }): Promise<ReadResult>;
}

export function commissioningApi(client: ApiClient, agentId: string): CommissioningApi {
  const agent = `/agents/${encodeURIComponent(agentId)}`;
  return {
    async desiredConfig() {
      try {
        return await client.request<ConfigRevisionView>('GET', `${agent}/config`);
      } catch (err) {
        if (err instanceof ApiError && err.status === 404 && err.code === 'NOT_FOUND') return null;
        throw err;
      }
    },
    putConfig: (document, comment) => client.request('PUT', `${agent}/config`, { document, comment }),
    testConnection: (device) => client.request('POST', `${agent}/devices/test-connection`, { device }),
    trustCertificate: (deviceName, fingerprint) => client.request('POST', `${agent}/devices/${encodeURIComponent(deviceName)}/trusted-certificates`, { fingerprint }),
    browse: (device, nodeId) => client.request('POST', `${agent}/browse`, nodeId === undefined ? { device } : { device, nodeId }),
    read: (args) => client.request('POST', `${agent}/tags/read`, args),
  };
}
