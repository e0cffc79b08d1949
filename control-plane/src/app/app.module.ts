import { Module, RequestMethod, type DynamicModule, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import type { Logger } from 'pino';
import { AgentHealthController } from '../agent-health/agent-health.controller.js';
import { AgentHealthService } from '../agent-health/agent-health.service.js';
import { HealthSampleRetention } from '../agent-health/health-retention.service.js';
import { HealthSampleRepository } from '../agent-health/health-sample.repository.js';
import { HealthSampler } from '../agent-health/health-sampler.service.js';
import { AgentRepository } from '../agents/agent.repository.js';
import { AgentsController } from '../agents/agents.controller.js';
import { AgentsService } from '../agents/agents.service.js';
import { AuditRouteGuard } from '../audit/audit-route.guard.js';
import { AuditTrail } from '../audit/audit-trail.js';
import { AuditController } from '../audit/audit.controller.js';
import { AuditMiddleware } from '../audit/audit.middleware.js';
import { AuditRepository } from '../audit/audit.repository.js';
import { AuditService } from '../audit/audit.service.js';
import { AuthController } from '../auth/auth.controller.js';
import { AuthRepository } from '../auth/auth.repository.js';
import { AuthService } from '../auth/auth.service.js';
import { SessionGuard } from '../auth/session.guard.js';
import { Clock } from '../common/clock.js';
import { ROOT_LOGGER } from '../common/logging/logger.js';
import { RateLimitGuard, rateLimitOptions } from '../common/rate-limit/rate-limit.js';
import { SETTINGS, type Settings } from '../config/settings.js';
import { ConfigRevisionRepository } from '../configs/config-revision.repository.js';
import { ConfigSecrets } from '../configs/config-secrets.service.js';
import { ConfigService } from '../configs/config.service.js';
import { ConfigsController } from '../configs/configs.controller.js';
import { TrustedCertificatesController } from '../configs/trusted-certificates.controller.js';
import { PasswordHasher } from '../crypto/password-hasher.js';
import { PRISMA, type PrismaClient } from '../database/prisma.js';
import { ApprovalService } from '../enrollment/approval.service.js';
import { EnrollmentController } from '../enrollment/enrollment.controller.js';
import { EnrollmentRepository } from '../enrollment/enrollment.repository.js';
import { EnrollmentService } from '../enrollment/enrollment.service.js';
import { InitialRevision } from '../enrollment/initial-revision.js';
import { BROKER_TLS, type BrokerTls } from '../fleet-broker/broker-tls.js';
import { CommandService } from '../fleet-broker/command.service.js';
import { ConfigPublisher } from '../fleet-broker/config-publisher.service.js';
import { FleetBrokerService } from '../fleet-broker/fleet-broker.service.js';
import { IngestionService } from '../fleet-broker/ingestion.service.js';
import { PresenceSweeper } from '../fleet-broker/presence-sweeper.service.js';
import { EnrollmentTokenRepository } from '../fleets/enrollment-token.repository.js';
import { FleetRepository } from '../fleets/fleet.repository.js';
import { FleetsController } from '../fleets/fleets.controller.js';
import { FleetsService } from '../fleets/fleets.service.js';
import { HealthController } from '../health/health.controller.js';
import { LiveController } from '../live/live.controller.js';
import type { CertificateAuthority } from '../pki/certificate-authority.js';
import { UserRepository } from '../users/user.repository.js';
import { UsersController } from '../users/users.controller.js';
import { UsersService } from '../users/users.service.js';
import { StartupService } from './startup.service.js';
import { FLEET_CA, RuntimeInfo } from './runtime.js';

/** What the factory resolves before Nest starts: validated settings and the side-effect roots. */
export interface AppDependencies {
  settings: Settings;
  logger: Logger;
  prisma: PrismaClient;
  ca: CertificateAuthority;
  brokerTls: BrokerTls;
  runtime: RuntimeInfo;
}

@Module({})
export class AppModule implements NestModule {
  /** Every request passes the audit middleware, which records each change (see control-plane/src/audit). */
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(AuditMiddleware).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }

  static register(deps: AppDependencies): DynamicModule {
    return {
      module: AppModule,
      imports: [ThrottlerModule.forRoot(rateLimitOptions(deps.settings.rateLimits))],
      controllers: [HealthController, AuthController, FleetsController, AgentsController, AgentHealthController, ConfigsController, TrustedCertificatesController, LiveController, EnrollmentController, UsersController, AuditController],
      providers: [
        { provide: SETTINGS, useValue: deps.settings },
        { provide: ROOT_LOGGER, useValue: deps.logger },
        { provide: PRISMA, useValue: deps.prisma },
        { provide: FLEET_CA, useValue: deps.ca },
        { provide: BROKER_TLS, useValue: deps.brokerTls },
        { provide: RuntimeInfo, useValue: deps.runtime },
        // The audit guard refuses nothing; first, so a request any later guard refuses is still logged against its route.
        { provide: APP_GUARD, useClass: AuditRouteGuard },
        // Rate limits first: a guesser is slowed before any session or database work.
        { provide: APP_GUARD, useClass: RateLimitGuard },
        { provide: APP_GUARD, useClass: SessionGuard },
        Clock,
        PasswordHasher,
        AuthRepository,
        AuthService,
        UserRepository,
        UsersService,
        FleetRepository,
        EnrollmentTokenRepository,
        FleetsService,
        AgentRepository,
        AgentsService,
        HealthSampleRepository,
        HealthSampler,
        HealthSampleRetention,
        AgentHealthService,
        ConfigRevisionRepository,
        ConfigSecrets,
        ConfigService,
        EnrollmentRepository,
        EnrollmentService,
        InitialRevision,
        ApprovalService,
        FleetBrokerService,
        ConfigPublisher,
        IngestionService,
        PresenceSweeper,
        CommandService,
        StartupService,
        AuditRepository,
        AuditTrail,
        AuditService,
        AuditMiddleware,
      ],
    };
  }
}
