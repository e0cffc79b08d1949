import { AgentConfigSchema } from './agent-config.js';
import { SECRET_MARKER } from './secret.js';
import { listSecrets, mapSecrets, secretFieldNames, secretFieldPaths, type SecretVisit } from './secret-walker.js';

/**
 * The secrets of the agent config, found from the schema's `secret` marks. Computed when this
 * module loads, so a schema the walker cannot read fails every start and test at once.
 */

/** Where a config may hold secrets: `devices[].settings.userIdentity.password`, … */
export const CONFIG_SECRET_PATHS: readonly string[] = secretFieldPaths(AgentConfigSchema);

/** The field names that hold secrets in a config (`password`, `privateKey`, …), for log redaction. */
export const CONFIG_SECRET_FIELD_NAMES: readonly string[] = secretFieldNames(AgentConfigSchema);

/** A config document (as written or as stored) with every secret replaced by `replace(visit)`. */
export function mapConfigSecrets(document: unknown, replace: (visit: SecretVisit) => unknown): unknown {
  return mapSecrets(AgentConfigSchema, document, replace);
}

/** Every secret of a config document, in document order. */
export function listConfigSecrets(document: unknown): SecretVisit[] {
  return listSecrets(AgentConfigSchema, document);
}

/** A config document with every secret, whatever form it is stored in, shown as `SECRET_MARKER`. */
export function redactConfigSecrets(document: unknown): unknown {
  return mapConfigSecrets(document, () => SECRET_MARKER);
}
