import { Inject, Injectable } from '@nestjs/common';
import type { Prisma } from '@prisma/client';
import type { AgentConfig } from '@edgefleet/protocol';
import { SETTINGS, type Settings } from '../config/settings.js';
import { sealConfigSecrets, unsealConfigSecrets } from './config-secrets.js';

/** Seals and opens the secrets of stored configs with the installation's master key (`config-secrets.ts`). */
@Injectable()
export class ConfigSecrets {
  private readonly masterKey: Buffer;

  constructor(@Inject(SETTINGS) settings: Settings) {
    this.masterKey = settings.masterKey;
  }

  /** What a revision row stores: the normalized document with its secrets sealed to its digest. */
  sealRevision(document: AgentConfig, sha256: string): Prisma.InputJsonObject {
    return sealConfigSecrets(this.masterKey, document, { revision: sha256 }) as Prisma.InputJsonObject;
  }

  /** The plaintext document of a revision row: what the agent gets. */
  openRevision(row: { document: Prisma.JsonValue; sha256: string }): unknown {
    return unsealConfigSecrets(this.masterKey, row.document, { revision: row.sha256 });
  }

  /** What a fleet row stores as its template. */
  sealTemplate(document: AgentConfig, fleetId: string): Prisma.InputJsonObject {
    return sealConfigSecrets(this.masterKey, document, { fleetTemplate: fleetId }) as Prisma.InputJsonObject;
  }

  openTemplate(template: Prisma.JsonValue, fleetId: string): unknown {
    return unsealConfigSecrets(this.masterKey, template, { fleetTemplate: fleetId });
  }
}
