/** Programmatic API: run one or many agents inside a process (benchmarks, the embedded launcher). */
export { startAgent, type AgentOptions, type RunningAgent } from './runtime/agent.js';
export { enroll, EnrollmentRefused, type EnrollParams } from './identity/enroll.js';
export { loadIdentity, saveIdentity, statePaths, DEFAULT_STATE_DIR, type Identity, type Credentials } from './identity/state-dir.js';
import type { KeyAndCsr } from './identity/csr.js';
export type { KeyAndCsr };
/** A key pair and CSR as enrollment makes them; loads the X.509 library on first use only. */
export async function generateKeyAndCsr(subjectHint: string): Promise<KeyAndCsr> {
  return (await import('./identity/csr.js')).generateKeyAndCsr(subjectHint);
}
export { readStatusFile, type StatusFile } from './telemetry/status-file.js';
export { createLogger, type Logger, type LogLevel } from './log.js';
export { AGENT_VERSION } from './version.js';
