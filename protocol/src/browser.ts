/**
 * Everything of the contract that runs in a browser as well as in Node: the schemas, messages,
 * topics and validation, without the digest (which needs `node:crypto`). The console imports
 * `@edgefleet/protocol/browser`; Node code imports `@edgefleet/protocol`.
 */
import './messages-en.js';

export * from './errors.js';
export * from './validation.js';
export { friendlyMessage, installFriendlyMessages } from './messages-en.js';
export * from './config/names.js';
export * from './config/secret.js';
export * from './config/secret-walker.js';
export * from './config/tag.js';
export * from './config/simulator.js';
export * from './config/modbus.js';
export * from './config/opcua.js';
export * from './config/device.js';
export * from './config/northbound.js';
export * from './config/agent-config.js';
export * from './config/config-secrets.js';
export * from './config/canonical-json.js';
export * from './config/config-diff.js';
export * from './messages/common.js';
export * from './messages/config-message.js';
export * from './messages/state-message.js';
export * from './messages/presence-message.js';
export * from './messages/heartbeat-message.js';
export * from './messages/values.js';
export * from './messages/command.js';
export * from './topics.js';
export * from './enrollment.js';
export * from './api/dto.js';
