import { Injectable, type PipeTransform } from '@nestjs/common';
import { describeIssues, parseWith } from '@edgefleet/protocol';
import type { z } from 'zod';
import { AppError } from '../errors/app-error.js';

/** Validates a request body (or query) with a protocol schema; 400 VALIDATION_FAILED naming each field. */
@Injectable()
export class ZodValidationPipe<S extends z.ZodType> implements PipeTransform<unknown, z.output<S>> {
  constructor(private readonly schema: S) {}

  transform(value: unknown): z.output<S> {
    const result = parseWith(this.schema, value ?? {});
    if (!result.ok) throw new AppError('VALIDATION_FAILED', describeIssues(result.issues), result.issues);
    return result.value;
  }
}
