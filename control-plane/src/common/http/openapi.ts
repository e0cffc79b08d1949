import type { ApiResponseSchemaHost } from '@nestjs/swagger';
import { z } from 'zod';

type SchemaObject = ApiResponseSchemaHost['schema'];

/**
 * OpenAPI schema of a protocol zod schema, so the docs come from the same contract as validation.
 * A secret field (zod metadata `secret: true`) is shown as `format: password` with the extension
 * `x-secret: true`, since OpenAPI 3.0 allows no keywords of its own outside `x-`.
 */
export function openApiSchema(schema: z.ZodType, io: 'input' | 'output' = 'output'): SchemaObject {
  const json = z.toJSONSchema(schema, {
    io,
    unrepresentable: 'any',
    target: 'openapi-3.0',
    override: ({ jsonSchema }) => {
      const node = jsonSchema as Record<string, unknown>;
      if (node.secret !== true) return;
      delete node.secret;
      node['x-secret'] = true;
      if (node.format === undefined) node.format = 'password';
    },
  }) as Record<string, unknown>;
  delete json.$schema;
  return json as SchemaObject;
}
