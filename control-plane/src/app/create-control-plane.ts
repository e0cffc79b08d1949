import path from 'node:path';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { CONTROL_PLANE_IDENTITY } from '@edgefleet/protocol';
import { ApiExceptionFilter } from '../common/errors/api-exception.filter.js';
import { NestPinoLogger, createRootLogger } from '../common/logging/logger.js';
import type { ControlPlaneOptions } from '../config/control-plane-options.js';
import { validateOptions } from '../config/settings.js';
import { createPrismaClient } from '../database/prisma.js';
import type { BrokerTls } from '../fleet-broker/broker-tls.js';
import { loadOrCreateCaWith } from '../pki/ca-store.js';
import type { CertificateAuthority } from '../pki/certificate-authority.js';
import { AppModule } from './app.module.js';
import { RuntimeInfo } from './runtime.js';
import { settlesWithin } from '../common/settles-within.js';
import { consoleRoutes } from './console-routes.js';

export interface ControlPlane {
  url: string;
  port: number;
  ca: CertificateAuthority;
  app: INestApplication;
  close(): Promise<void>;
}

export const API_PREFIX = 'api/v1';
/** The plane's own broker certificate, when it issues one: renewed on every start. */
const SELF_CERT_VALIDITY_DAYS = 365;
const DISCONNECT_LIMIT_MS = 10_000;

/**
 * Builds and starts a control plane in-process: the launcher, the production entry, end-to-end
 * tests and the benchmark all come through here. The HTTP API is up when this resolves; the
 * broker connection is made in the background and retried until it succeeds.
 */
export async function createControlPlane(opts: ControlPlaneOptions): Promise<ControlPlane> {
  const settings = validateOptions(opts);
  const logger = createRootLogger(settings.logger, settings.logDestination);
  const prisma = createPrismaClient(settings.databaseUrl);
  let app: NestExpressApplication | undefined;
  try {
    const ca = await loadOrCreateCaWith(prisma, settings.masterKey);
    const brokerTls = await resolveBrokerTls(settings.broker, ca);
    const runtime = new RuntimeInfo();
    app = await NestFactory.create<NestExpressApplication>(AppModule.register({ settings, logger, prisma, ca, brokerTls, runtime }), {
      logger: settings.logger === false ? false : new NestPinoLogger(logger.child({ component: 'nest' })),
      forceCloseConnections: true,
    });
    app.setGlobalPrefix(API_PREFIX);
    app.useGlobalFilters(new ApiExceptionFilter(logger.child({ component: 'http' })));
    app.disable('x-powered-by');
    const docs = SwaggerModule.createDocument(
      app,
      new DocumentBuilder().setTitle('EdgeFleet control plane').setVersion('v1').addBearerAuth().build(),
    );
    SwaggerModule.setup('api/docs', app, docs, { jsonDocumentUrl: 'api/docs-json' });
    if (!existsSync(path.join(settings.consoleDir, 'index.html'))) logger.warn({ consoleDir: settings.consoleDir }, 'the web console is not built here (npm run build); the API works without it');
    app.useStaticAssets(settings.consoleDir, { index: 'index.html' });
    // Everything under /api (the API, its docs) keeps its own answers, 404s included.
    app.use(consoleRoutes(settings.consoleDir, 'api'));
    await app.listen(settings.port, settings.host);
    const port = (app.getHttpServer().address() as AddressInfo).port;
    const url = `http://localhost:${port}`;
    runtime.apiUrl = settings.publicUrl ?? url;
    logger.info({ url, docs: `${url}/api/docs` }, 'control plane listening');
    const started = app;
    let closing: Promise<void> | undefined;
    return {
      url,
      port,
      ca,
      app: started,
      close: () => (closing ??= (async () => {
        await started.close();
        // Every service has finished its database work by now (see the shutdown hooks).
        if (!(await settlesWithin(prisma.$disconnect(), DISCONNECT_LIMIT_MS))) logger.warn('the database pool did not close in time; leaving it');
      })()),
    };
  } catch (err) {
    await app?.close().catch(() => undefined);
    await prisma.$disconnect().catch(() => undefined);
    throw err;
  }
}

async function resolveBrokerTls(broker: { caPem?: string[]; certPem?: string; keyPem?: string }, ca: CertificateAuthority): Promise<BrokerTls> {
  const caPem = broker.caPem ?? [ca.certPem];
  if (broker.certPem && broker.keyPem) return { caPem, certPem: broker.certPem, keyPem: broker.keyPem };
  const issued = await ca.issueClientCertificate(CONTROL_PLANE_IDENTITY, SELF_CERT_VALIDITY_DAYS);
  return { caPem, certPem: issued.certPem, keyPem: issued.keyPem };
}
