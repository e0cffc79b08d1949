import { z } from 'zod';

/**
 * Secrets in a config (passwords, private keys, SAS keys, connection strings) are marked on the
 * schema itself with zod metadata, `{ secret: true }`, so every place that must treat them
 * specially (the control plane's encryption at rest and API redaction, the loggers' redaction)
 * finds them by walking the schema (`secret-walker.ts`) instead of keeping a list of paths.
 *
 * The mark lives in zod's global registry, whose metadata a refined copy inherits
 * (`secret(z.string()).refine(…)` is still a secret); wrappers such as `.optional()` are looked
 * through by the walker.
 */
export function secret<S extends z.ZodType>(schema: S): S {
  return schema.meta({ secret: true });
}

/** Whether this very schema node is marked secret (wrappers are not looked through here). */
export function isSecretSchema(schema: z.core.$ZodType): boolean {
  return (z.globalRegistry.get(schema) as { secret?: unknown } | undefined)?.secret === true;
}

/** A secret (password, key): the control plane stores it encrypted and never returns it; nothing logs it. */
export const SecretSchema = secret(z.string().min(1).max(16_384));

/**
 * What the control plane's API shows in place of a secret, in every config it returns. Sent back
 * in a PUT at the same place, it means "keep the secret stored there" (see docs/configuration.md).
 */
export const SECRET_MARKER = '********';
