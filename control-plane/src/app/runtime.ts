import { Injectable } from '@nestjs/common';

/** Facts known only once the server listens (the port may be 0 until then). */
@Injectable()
export class RuntimeInfo {
  apiUrl = '';
}

/** Injection token of the fleet CertificateAuthority. */
export const FLEET_CA = Symbol('FLEET_CA');
