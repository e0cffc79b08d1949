/** The plane's TLS material for the fleet broker, resolved once at boot. */
export interface BrokerTls {
  caPem: string[];
  certPem: string;
  keyPem: string;
}
export const BROKER_TLS = Symbol('BROKER_TLS');
