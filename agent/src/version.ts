/** Reported in state, heartbeats, enrollment facts and ping replies. Kept in step with package.json. */
export const AGENT_VERSION = '0.1.0';
