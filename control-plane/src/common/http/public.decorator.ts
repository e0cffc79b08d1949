import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'edgefleet:public';

/** Opts a route out of the global session guard (health, login, enrollment). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);
