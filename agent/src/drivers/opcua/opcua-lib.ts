import { createRequire } from 'node:module';
import type * as OpcUaClientModule from 'node-opcua-client';
import type * as CertificateManagerModule from 'node-opcua-certificate-manager';
import type { Logger } from '../../log.js';

export type OpcUa = typeof OpcUaClientModule;
export type CertificateManagerLib = typeof CertificateManagerModule;
export type OPCUACertificateManager = CertificateManagerModule.OPCUACertificateManager;

export interface OpcUaLibrary {
  ua: OpcUa;
  certificates: CertificateManagerLib;
}

let loading: Promise<OpcUaLibrary> | undefined;

/**
 * Loads node-opcua's client on first use (it costs ≈ 70 MB of memory, so an agent without OPC UA
 * devices never loads it). The certificate manager is node-opcua-client's own dependency, loaded
 * from where node-opcua-client resolves it so both share one copy.
 *
 * node-opcua reports through a process-wide logger that prints to the console; its warnings and
 * errors are routed into the agent's log instead (console lines would break the JSON log stream).
 */
export function loadOpcUa(log?: Logger): Promise<OpcUaLibrary> {
  loading ??= (async () => {
    const ua = await import('node-opcua-client');
    const fromClient = createRequire(createRequire(import.meta.url).resolve('node-opcua-client'));
    const certificates = fromClient('node-opcua-certificate-manager') as CertificateManagerLib;
    if (log) routeLibraryLogs(ua, log);
    return { ua, certificates };
  })();
  loading.catch(() => {
    loading = undefined;
  });
  return loading;
}

// Terminal colour codes node-opcua puts in its messages.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

function text(args: unknown[]): string {
  return args
    .map((a) => (typeof a === 'string' ? a : a instanceof Error ? a.message : String(a)))
    .join(' ')
    .replace(ANSI, '')
    .trim();
}

function routeLibraryLogs(ua: OpcUa, log: Logger): void {
  const child = log.child({ component: 'node-opcua' });
  ua.setWarningLogger((context?: unknown, ...args: unknown[]) => child.debug({ context: String(context ?? '').trim() }, text(args)));
  ua.setErrorLogger((context?: unknown, ...args: unknown[]) => child.warn({ context: String(context ?? '').trim() }, text(args)));
}
