import { Injectable } from '@nestjs/common';

/** Time as a dependency, so expiry logic can be tested without waiting. */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }
}
