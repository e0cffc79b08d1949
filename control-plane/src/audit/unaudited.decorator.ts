import { SetMetadata } from '@nestjs/common';

export const UNAUDITED = 'edgefleet:unaudited';

/**
 * Marks a non-GET route that changes nothing and reaches no device (the config diff preview),
 * so the audit log is not filled with it. Routes that touch a device are audited even when they
 * only read.
 */
export const Unaudited = (): MethodDecorator => SetMetadata(UNAUDITED, true);
