import { z } from 'zod';

/**
 * Plain-language validation messages (`must be at least 10`, `is required`), installed once for
 * every zod schema in the process. Operators read these in API answers, in the console and in
 * an agent's reported state, so they name the rule, not zod's internals.
 */
type Issue = z.core.$ZodRawIssue;

function describeValue(v: unknown): string {
  return typeof v === 'string' ? `'${v}'` : String(v);
}

function sizeWord(origin: unknown): string {
  switch (origin) {
    case 'string':
      return ' characters';
    case 'array':
    case 'set':
      return ' items';
    default:
      return '';
  }
}

export function friendlyMessage(issue: Issue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      return `must be ${issue.expected === 'array' ? 'an array' : issue.expected === 'object' ? 'an object' : `a ${issue.expected}`}`;
    case 'too_small': {
      const min = issue.minimum as number | bigint;
      if (issue.origin === 'string' && Number(min) === 1) return 'must not be empty';
      if (issue.origin === 'array' && Number(min) === 1) return 'must have at least one item';
      return `must be ${issue.inclusive === false ? 'more than' : 'at least'} ${min}${sizeWord(issue.origin)}`;
    }
    case 'too_big': {
      const max = issue.maximum as number | bigint;
      return `must be ${issue.inclusive === false ? 'less than' : 'at most'} ${max}${sizeWord(issue.origin)}`;
    }
    case 'invalid_value':
      return `must be one of ${issue.values.map(describeValue).join(', ')}`;
    case 'unrecognized_keys':
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
    case 'invalid_format':
      return `must be a valid ${issue.format}`;
    case 'not_multiple_of':
      return `must be a multiple of ${String(issue.divisor)}`;
    case 'invalid_union':
      if ('discriminator' in issue && issue.discriminator) return `has an unknown ${String(issue.discriminator)}`;
      return 'does not match any allowed shape';
    default:
      return undefined;
  }
}

let installed = false;
export function installFriendlyMessages(): void {
  if (installed) return;
  installed = true;
  z.config({ customError: (issue) => friendlyMessage(issue) });
}
installFriendlyMessages();
