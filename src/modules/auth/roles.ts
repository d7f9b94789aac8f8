/** Staff roles (SPEC §2). Residents have no account; they use the public and Open311 APIs. */
export enum Role {
  GridWorker = 'grid_worker', // 网格员
  Dispatcher = 'dispatcher', // 调度员
  Handler = 'handler', // 承办人
  Official = 'official', // 领导
  Auditor = 'auditor', // 审计员
  Admin = 'admin', // 管理员
}

export const ROLES = Object.values(Role);

/** Every endpoint declares one of these; a role holds only what its job needs (等保 three-role separation). */
export enum Permission {
  SelfRead = 'self:read',
  OrgRead = 'org:read',
  OrgManage = 'org:manage',
  UserManage = 'user:manage',
  SecurityManage = 'security:manage',
  AuditRead = 'audit:read',
}

const EVERY_STAFF = [Permission.SelfRead];

export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  [Role.GridWorker]: [...EVERY_STAFF, Permission.OrgRead],
  [Role.Dispatcher]: [...EVERY_STAFF, Permission.OrgRead],
  [Role.Handler]: [...EVERY_STAFF, Permission.OrgRead],
  [Role.Official]: [...EVERY_STAFF, Permission.OrgRead],
  // The auditor reads the audit log and nothing else.
  [Role.Auditor]: [...EVERY_STAFF, Permission.AuditRead],
  // The admin manages the organisation and security settings but reads no audit log and no case content.
  [Role.Admin]: [...EVERY_STAFF, Permission.OrgRead, Permission.OrgManage, Permission.UserManage, Permission.SecurityManage],
};

export function roleHas(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].includes(permission);
}
