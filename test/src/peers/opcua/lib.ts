import { createRequire } from 'node:module';
import type * as ServerModule from 'node-opcua-server';
import type * as VariantModule from 'node-opcua-variant';
import type * as StatusCodeModule from 'node-opcua-status-code';
import type * as CertificateManagerModule from 'node-opcua-certificate-manager';
import type * as SecureChannelModule from 'node-opcua-secure-channel';
import type * as ServiceSecureChannelModule from 'node-opcua-service-secure-channel';

/**
 * node-opcua for the test peer: node-opcua-server, the one package the tests depend on, and the
 * parts of it the peer uses directly (Variant, StatusCodes, the certificate manager, security
 * enums), loaded from where node-opcua-server resolves them so there is one copy of each.
 */
const fromServer = createRequire(createRequire(import.meta.url).resolve('node-opcua-server'));

export const ua = {
  ...(fromServer('node-opcua-server') as typeof ServerModule),
  ...(fromServer('node-opcua-variant') as typeof VariantModule),
  ...(fromServer('node-opcua-status-code') as typeof StatusCodeModule),
  ...(fromServer('node-opcua-certificate-manager') as typeof CertificateManagerModule),
  SecurityPolicy: (fromServer('node-opcua-secure-channel') as typeof SecureChannelModule).SecurityPolicy,
  MessageSecurityMode: (fromServer('node-opcua-service-secure-channel') as typeof ServiceSecureChannelModule).MessageSecurityMode,
};

export type { OPCUAServer } from 'node-opcua-server';
export type { OPCUACertificateManager } from 'node-opcua-certificate-manager';
export type { UAVariable, INamespace as Namespace, IAddressSpace as AddressSpace, UAObject } from 'node-opcua-address-space-base';
export type { Variant } from 'node-opcua-variant';
