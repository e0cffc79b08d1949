import { describe, expect, it } from 'vitest';
import { forbiddenMessage, roleAllows } from './roles.js';

describe('roles', () => {
  it('ranks viewer < operator < admin', () => {
    expect([roleAllows('viewer', 'viewer'), roleAllows('viewer', 'operator'), roleAllows('viewer', 'admin')]).toEqual([true, false, false]);
    expect([roleAllows('operator', 'viewer'), roleAllows('operator', 'operator'), roleAllows('operator', 'admin')]).toEqual([true, true, false]);
    expect([roleAllows('admin', 'viewer'), roleAllows('admin', 'operator'), roleAllows('admin', 'admin')]).toEqual([true, true, true]);
  });

  it('names the role needed and the one held', () => {
    expect(forbiddenMessage('viewer', 'operator')).toBe('This needs the operator role; you are a viewer');
    expect(forbiddenMessage('operator', 'admin')).toBe('This needs the admin role; you are an operator');
  });
});
