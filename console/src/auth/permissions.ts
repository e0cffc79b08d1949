/**
 * What a role may do in the console. The API decides in the end; the console only hides what
 * the signed-in user could not use, so a viewer sees no button that would answer 403.
 */
export interface Permissions {
  /** Change configs (save, roll back, import tags, trust a certificate). */
  canEdit: boolean;
  /** Write values to devices. */
  canWrite: boolean;
  /** Create and revoke enrollment tokens, approve agents. */
  canProvision: boolean;
}

const NONE: Permissions = { canEdit: false, canWrite: false, canProvision: false };

export function permissionsOf(role: string): Permissions {
  switch (role) {
    case 'admin':
      return { canEdit: true, canWrite: true, canProvision: true };
    case 'operator':
      return { canEdit: true, canWrite: true, canProvision: false };
    default:
      // 'viewer', and any role this console does not know: look, do not touch.
      return NONE;
  }
}
