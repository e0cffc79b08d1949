/**
 * Why a connection attempt failed, in words an operator can act on, and whether retrying can
 * help. Definitive failures (the server refuses this security configuration, this user or the
 * agent's certificate) need someone to change a setting: `waitConnected` reports them at once
 * instead of waiting out its timeout. Transient ones (server down, network) are retried quietly.
 */
export class ConnectionSetupError extends Error {
  constructor(
    message: string,
    readonly definitive: boolean,
  ) {
    super(message);
    this.name = 'ConnectionSetupError';
  }
}

export interface ConnectErrorContext {
  endpointUrl: string;
  identity: 'anonymous' | 'username' | 'certificate';
  /** SHA-1 thumbprint of the agent's application certificate, as servers list it. */
  clientThumbprint: string;
}

const STATUS_NAME = /\b(Bad[A-Za-z]+|Uncertain[A-Za-z]+)\b/;

function statusIn(message: string): string | undefined {
  return STATUS_NAME.exec(message)?.[1];
}

export function explainConnectError(err: unknown, ctx: ConnectErrorContext): ConnectionSetupError {
  if (err instanceof ConnectionSetupError) return err;
  const raw = err instanceof Error ? err.message : String(err);
  const message = raw.replace(/\s+/g, ' ').trim();
  const status = statusIn(message);
  const host = ctx.endpointUrl;
  if (/ECONNREFUSED/.test(message)) return new ConnectionSetupError(`${host} refused the connection (is the server running and listening on that port?)`, false);
  if (/ENOTFOUND|EAI_AGAIN/.test(message)) return new ConnectionSetupError(`cannot resolve the host name of ${host}`, false);
  if (/EHOSTUNREACH|ENETUNREACH/.test(message)) return new ConnectionSetupError(`no route to ${host}`, false);
  switch (status) {
    case 'BadIdentityTokenRejected':
    case 'BadIdentityTokenInvalid':
    case 'BadUserAccessDenied':
    case 'BadUserSignatureInvalid':
      return new ConnectionSetupError(`the server rejected the ${ctx.identity} user identity (${status}): check userIdentity`, true);
    case 'BadCertificateUntrusted':
    case 'BadCertificateInvalid':
    case 'BadCertificateUriInvalid':
    case 'BadCertificateUseNotAllowed':
    case 'BadCertificateTimeInvalid':
    case 'BadCertificateRevoked':
    case 'BadCertificateIssuerRevocationUnknown':
    case 'BadCertificateRevocationUnknown':
    case 'BadSecurityChecksFailed':
      return new ConnectionSetupError(
        `the server refused the agent's application certificate (${status}): trust it on the server (SHA-1 thumbprint ${ctx.clientThumbprint})`,
        true,
      );
    case 'BadSecurityPolicyRejected':
    case 'BadSecurityModeRejected':
      return new ConnectionSetupError(`the server refused the security settings (${status}): check securityMode and securityPolicy`, true);
    case 'BadTooManySessions':
      return new ConnectionSetupError(`the server has no session left for the agent (${status})`, false);
    default:
      break;
  }
  return new ConnectionSetupError(message || 'unknown error', false);
}
