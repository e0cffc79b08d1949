import { randomBytes } from 'node:crypto';
import { NestFactory } from '@nestjs/core';
import { AppModule } from '../app/app.module.js';
import { API_PREFIX } from '../app/create-control-plane.js';
import { RuntimeInfo } from '../app/runtime.js';
import { routesOfApp, type ApiRoute } from '../auth/route-access.js';
import { createRootLogger } from '../common/logging/logger.js';
import { validateOptions } from '../config/settings.js';
import { createPrismaClient } from '../database/prisma.js';
import { CertificateAuthority } from '../pki/certificate-authority.js';

/**
 * Every route of the application as Nest assembles it, without a database or a broker: the
 * module graph is built in Nest's preview mode, which resolves modules and controllers but
 * instantiates nothing, so the dependencies below are never used (the Prisma client never connects).
 */
export async function appRoutes(): Promise<ApiRoute[]> {
  const settings = validateOptions({
    port: 0,
    databaseUrl: 'postgresql://unused@127.0.0.1:1/unused',
    masterKey: randomBytes(32),
    adminPassword: 'unused-password',
    broker: { url: 'mqtts://127.0.0.1:1', sharedSubscriptions: false },
    publicBrokerUrl: 'mqtts://localhost:8883',
    logger: false,
  });
  const { ca } = await CertificateAuthority.create();
  const prisma = createPrismaClient(settings.databaseUrl);
  const deps = { settings, logger: createRootLogger(false), prisma, ca, brokerTls: { caPem: [ca.certPem], certPem: '', keyPem: '' }, runtime: new RuntimeInfo() };
  const app = await NestFactory.create(AppModule.register(deps), { preview: true, logger: false, abortOnError: false });
  try {
    return routesOfApp(app, API_PREFIX);
  } finally {
    await app.close();
    await prisma.$disconnect();
  }
}
