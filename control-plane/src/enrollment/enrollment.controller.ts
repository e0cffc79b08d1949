import { Body, Controller, HttpStatus, Post, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBody, ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { EnrollmentPendingSchema, EnrollmentRequestSchema, EnrollmentResponseSchema, type EnrollmentPending, type EnrollmentRequest, type EnrollmentResponse } from '@edgefleet/protocol';
import { openApiSchema } from '../common/http/openapi.js';
import { Public } from '../common/http/public.decorator.js';
import { RateLimit } from '../common/rate-limit/rate-limit.js';
import { ZodValidationPipe } from '../common/http/zod-validation.pipe.js';
import { EnrollmentService } from './enrollment.service.js';

@ApiTags('enrollment')
@Controller('enrollments')
export class EnrollmentController {
  constructor(private readonly enrollment: EnrollmentService) {}

  /** Public: the enrollment token in the body is the credential. */
  @Public()
  @RateLimit('enrollment')
  @Post()
  @ApiOperation({
    summary:
      'Enrolls a box: 201 with its identity and certificate; 202 while a token that requires approval waits for an operator (send the same request again after `retryAfterSec`); 403 ENROLLMENT_REJECTED once rejected; 409 ENROLLMENT_KEY_MISMATCH for a CSR with another key than the pending request; 409 AGENT_IDENTITY_IN_USE for the hardware id of a connected agent with another key than its certificate.',
  })
  @ApiBody({ schema: openApiSchema(EnrollmentRequestSchema, 'input') })
  @ApiCreatedResponse({ schema: openApiSchema(EnrollmentResponseSchema) })
  @ApiAcceptedResponse({ schema: openApiSchema(EnrollmentPendingSchema) })
  async enroll(
    @Body(new ZodValidationPipe(EnrollmentRequestSchema)) body: EnrollmentRequest,
    @Res({ passthrough: true }) res: Response,
  ): Promise<EnrollmentResponse | EnrollmentPending> {
    const outcome = await this.enrollment.enroll(body);
    if (outcome.status === 'pending') {
      res.status(HttpStatus.ACCEPTED).setHeader('Retry-After', String(outcome.body.retryAfterSec));
    }
    return outcome.body;
  }
}
