import type { Role } from '@edgefleet/protocol';

/** The one place roles are ranked: each role may do everything the ones below it may. */
const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

export function roleAllows(have: Role, need: Role): boolean {
  return RANK[have] >= RANK[need];
}

/** The 403 message: names the role needed and the one the user has. */
export function forbiddenMessage(have: Role, need: Role): string {
  return `This needs the ${need} role; you are ${/^[aeiou]/.test(have) ? 'an' : 'a'} ${have}`;
}
