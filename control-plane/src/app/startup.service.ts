import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { AuthService } from '../auth/auth.service.js';
import { FleetBrokerService } from '../fleet-broker/fleet-broker.service.js';
import { FleetsService } from '../fleets/fleets.service.js';

/**
 * First-start data and the broker connection. Runs after every module registered its broker
 * subscriptions and listeners, so the first connect already subscribes everything.
 */
@Injectable()
export class StartupService implements OnApplicationBootstrap {
  constructor(
    private readonly auth: AuthService,
    private readonly fleets: FleetsService,
    private readonly broker: FleetBrokerService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.auth.ensureAdmin();
    await this.fleets.ensureDefaultFleet();
    this.broker.start();
  }
}
