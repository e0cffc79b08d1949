import { Body, Controller, Post } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiTags } from '@nestjs/swagger';
import { EnrollmentRequestSchema, EnrollmentResponseSchema, type EnrollmentRequest, type EnrollmentResponse } from '@edgefleet/protocol';
import { openApiSchema } from '../common/http/openapi.js';
import { Public } from '../common/http/public.decorator.js';
import { ZodValidationPipe } from '../common/http/zod-validation.pipe.js';
import { EnrollmentService } from './enrollment.service.js';

@ApiTags('enrollment')
@Controller('enrollments')
export class EnrollmentController {
  constructor(private readonly enrollment: EnrollmentService) {}

  /** Public: the enrollment token in the body is the credential. */
  @Public()
  @Post()
  @ApiBody({ schema: openApiSchema(EnrollmentRequestSchema, 'input') })
  @ApiCreatedResponse({ schema: openApiSchema(EnrollmentResponseSchema) })
  enroll(@Body(new ZodValidationPipe(EnrollmentRequestSchema)) body: EnrollmentRequest): Promise<EnrollmentResponse> {
    return this.enrollment.enroll(body);
  }
}
