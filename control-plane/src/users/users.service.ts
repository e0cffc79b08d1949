import { Injectable } from '@nestjs/common';
import type { CreateUserRequest, UpdateUserRequest, UserView } from '@edgefleet/protocol';
import { AuditTrail } from '../audit/audit-trail.js';
import { AppError } from '../common/errors/app-error.js';
import { PasswordHasher } from '../crypto/password-hasher.js';
import { UserRepository, type UserChange, type UserChangeRefusal, type UserRow } from './user.repository.js';

function toUserView(u: UserRow): UserView {
  return { id: u.id, username: u.username, role: u.role, createdAt: u.createdAt.toISOString(), updatedAt: u.updatedAt.toISOString() };
}

function refusal(outcome: UserChangeRefusal, username?: string): AppError {
  switch (outcome) {
    case 'not-found':
      return new AppError('NOT_FOUND', 'No such user');
    case 'last-admin':
      return new AppError('LAST_ADMIN');
    case 'duplicate':
      return new AppError('CONFLICT', `A user named '${username ?? ''}' exists already`);
  }
}

/**
 * Managing users (admins only, see the controller). Passwords are hashed with scrypt before they
 * reach the repository; answers never carry a hash. Changing a user's role or password, or
 * deleting them, ends their sessions, so a demoted user cannot keep acting with their old role.
 */
@Injectable()
export class UsersService {
  constructor(
    private readonly users: UserRepository,
    private readonly hasher: PasswordHasher,
    private readonly audit: AuditTrail,
  ) {}

  async list(): Promise<UserView[]> {
    return (await this.users.list()).map(toUserView);
  }

  async create(req: CreateUserRequest): Promise<UserView> {
    this.audit.note({ action: 'user.create', targetType: 'user', details: { username: req.username } });
    const created = await this.users.create(req.username, await this.hasher.hash(req.password), req.role);
    if (typeof created === 'string') throw refusal(created, req.username);
    this.audit.note({ targetId: created.id, after: { username: created.username, role: created.role } });
    return toUserView(created);
  }

  async update(id: string, req: UpdateUserRequest): Promise<UserView> {
    // The password is noted only as changed; neither it nor its hash reaches the log.
    this.audit.note({ action: 'user.update', targetType: 'user', targetId: id, details: { ...(req.role !== undefined ? { role: req.role } : {}), passwordChanged: req.password !== undefined } });
    const before = (await this.users.list()).find((u) => u.id === id);
    const change: UserChange = {
      ...(req.role !== undefined ? { role: req.role } : {}),
      ...(req.password !== undefined ? { passwordHash: await this.hasher.hash(req.password) } : {}),
    };
    const updated = await this.users.update(id, change);
    if (typeof updated === 'string') throw refusal(updated);
    this.audit.note({ before: before ? { username: before.username, role: before.role } : null, after: { username: updated.username, role: updated.role } });
    return toUserView(updated);
  }

  /** `actorId` is the signed-in user: nobody deletes their own account (another admin must). */
  async delete(id: string, actorId: string): Promise<void> {
    this.audit.note({ action: 'user.delete', targetType: 'user', targetId: id });
    if (id === actorId) throw new AppError('CANNOT_DELETE_SELF');
    const deleted = await this.users.delete(id);
    if (typeof deleted === 'string') throw refusal(deleted);
    this.audit.note({ before: { username: deleted.username, role: deleted.role } });
  }
}
