import { describe, expect, it } from 'vitest';
import { permissionsOf } from './permissions';

describe('permissionsOf', () => {
  it('lets an admin do everything, an operator change configs and write, a viewer nothing', () => {
    expect(permissionsOf('admin')).toEqual({ canEdit: true, canWrite: true, canProvision: true });
    expect(permissionsOf('operator')).toEqual({ canEdit: true, canWrite: true, canProvision: false });
    expect(permissionsOf('viewer')).toEqual({ canEdit: false, canWrite: false, canProvision: false });
  });

  it('treats a role it does not know as a viewer', () => {
    expect(permissionsOf('auditor')).toEqual({ canEdit: false, canWrite: false, canProvision: false });
  });
});
