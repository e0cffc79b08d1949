import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '@prisma/client';

/** The runtime client: the TypeScript query compiler over the pg driver adapter (no engine binary). */
export function createPrismaClient(connectionString: string): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString }) });
}

/** Injection token of the shared PrismaClient (one pool per plane). */
export const PRISMA = Symbol('PRISMA');
export type { PrismaClient };
