import { decryptSecret, encryptSecret } from '../crypto/secret-box.js';
import { createPrismaClient, type PrismaClient } from '../database/prisma.js';
import { CertificateAuthority } from './certificate-authority.js';

/** Row id of the fleet CA (one per installation). */
export const FLEET_CA_ID = 'fleet';
const aad = (id: string): string => `CertificateAuthority:${id}`;

/**
 * Loads the fleet CA, creating it on first start. Race-safe for replicas starting together:
 * each candidate is inserted only if absent (`ON CONFLICT DO NOTHING`), then everyone reads back
 * the row that won, so all replicas sign with the same key.
 */
export async function loadOrCreateCaWith(prisma: PrismaClient, masterKey: Buffer): Promise<CertificateAuthority> {
  let row = await prisma.certificateAuthority.findUnique({ where: { id: FLEET_CA_ID } });
  if (!row) {
    const { material } = await CertificateAuthority.create();
    const sealed = encryptSecret(masterKey, material.keyPem, aad(FLEET_CA_ID));
    await prisma.$executeRaw`INSERT INTO "CertificateAuthority" ("id", "certPem", "keyCiphertext") VALUES (${FLEET_CA_ID}, ${material.certPem}, ${sealed}) ON CONFLICT ("id") DO NOTHING`;
    row = await prisma.certificateAuthority.findUniqueOrThrow({ where: { id: FLEET_CA_ID } });
  }
  return CertificateAuthority.load({ certPem: row.certPem, keyPem: decryptSecret(masterKey, row.keyCiphertext, aad(row.id)) });
}

export async function loadOrCreateCertificateAuthority(databaseUrl: string, masterKey: Buffer): Promise<CertificateAuthority> {
  const prisma = createPrismaClient(databaseUrl);
  try {
    return await loadOrCreateCaWith(prisma, masterKey);
  } finally {
    await prisma.$disconnect();
  }
}
