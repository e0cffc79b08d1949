import { Badge } from '@mantine/core';
import type { SyncStatus } from '@edgefleet/protocol';

export const SYNC_COLOR: Record<SyncStatus, string> = { IN_SYNC: 'green', PENDING: 'yellow', FAILED: 'red', OFFLINE: 'gray' };

export function syncLabel(s: SyncStatus): string {
  return { IN_SYNC: 'In sync', PENDING: 'Pending', FAILED: 'Failed', OFFLINE: 'Offline' }[s];
}

export function SyncBadge({ status }: { status: SyncStatus }) {
  return (
    <Badge color={SYNC_COLOR[status]} data-testid="agent-sync-status" data-status={status}>
      {syncLabel(status)}
    </Badge>
  );
}
