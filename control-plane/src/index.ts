export { createControlPlane, type ControlPlane } from './app/create-control-plane.js';
export type { ControlPlaneOptions, BrokerConnectionOptions } from './config/control-plane-options.js';
export { resolveMasterKey } from './config/master-key.js';
export { loadOrCreateCertificateAuthority } from './pki/ca-store.js';
export { CertificateAuthority, CsrError } from './pki/certificate-authority.js';
export { runMigrations } from './database/migrate.js';
