/** The Sparkplug B namespace element of every topic [tck-id-topic-structure-namespace-a]. */
export const SPARKPLUG_NAMESPACE = 'spBv1.0';

export const NODE_MESSAGE_TYPES = ['NBIRTH', 'NDEATH', 'NDATA', 'NCMD'] as const;
export const DEVICE_MESSAGE_TYPES = ['DBIRTH', 'DDEATH', 'DDATA', 'DCMD'] as const;
export type NodeMessageType = (typeof NODE_MESSAGE_TYPES)[number];
export type DeviceMessageType = (typeof DEVICE_MESSAGE_TYPES)[number];
export type SparkplugMessageType = NodeMessageType | DeviceMessageType;

/** `spBv1.0/{group}/{type}/{node}[/{device}]`, the only Edge Node topic shape (spec §4.1). */
export interface SparkplugTopic {
  groupId: string;
  messageType: SparkplugMessageType;
  edgeNodeId: string;
  /** Present exactly for the D* message types [tck-id-topic-structure-namespace-device-id-associated-message-types]. */
  deviceId?: string;
}

/**
 * Group, Edge Node and Device IDs are topic levels, so they must not hold `/`, `+` or `#`
 * [tck-id-topic-structure-namespace-valid-group-id, -valid-edge-node-id, -valid-device-id].
 * Returns why an ID is not usable, or null.
 */
export function invalidSparkplugId(id: string): string | null {
  if (id.length === 0) return 'must not be empty';
  if (/[/+#]/u.test(id)) return "must not contain '/', '+' or '#'";
  return null;
}

export function nodeTopic(groupId: string, type: NodeMessageType, edgeNodeId: string): string {
  return `${SPARKPLUG_NAMESPACE}/${groupId}/${type}/${edgeNodeId}`;
}

export function deviceTopic(groupId: string, type: DeviceMessageType, edgeNodeId: string, deviceId: string): string {
  return `${SPARKPLUG_NAMESPACE}/${groupId}/${type}/${edgeNodeId}/${deviceId}`;
}

function isNodeType(s: string): s is NodeMessageType {
  return (NODE_MESSAGE_TYPES as readonly string[]).includes(s);
}

function isDeviceType(s: string): s is DeviceMessageType {
  return (DEVICE_MESSAGE_TYPES as readonly string[]).includes(s);
}

/** Reads an Edge Node or Device topic; anything else (STATE, other namespaces, wrong depth) is null. */
export function parseSparkplugTopic(topic: string): SparkplugTopic | null {
  const levels = topic.split('/');
  const [namespace, groupId, messageType, edgeNodeId, deviceId] = levels;
  if (namespace !== SPARKPLUG_NAMESPACE || !groupId || !messageType || !edgeNodeId) return null;
  if (levels.length === 4 && isNodeType(messageType)) return { groupId, messageType, edgeNodeId };
  if (levels.length === 5 && deviceId && isDeviceType(messageType)) return { groupId, messageType, edgeNodeId, deviceId };
  return null;
}
