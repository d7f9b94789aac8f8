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
  CatalogueRead = 'catalogue:read',
  CatalogueManage = 'catalogue:manage',
  TicketFile = 'ticket:file',
  TicketRead = 'ticket:read',
  TicketAct = 'ticket:act',
  TicketRevealPersonal = 'ticket:reveal-personal',
  /** Aggregate reports (统计报表) over one's subtree; no case content. */
  ReportRead = 'report:read',
  /** Composite-score versions (考核权重) of future evaluation periods. */
  ReportManage = 'report:manage',
  /** Routing rules 派单目录 and per-unit dispatch settings. */
  DispatchManage = 'dispatch:manage',
  /** Triage queue and unit inboxes (and their live streams). */
  QueueRead = 'queue:read',
  /** SLA policies, calendars, recomputation and the notification dead-letter list (admin). */
  SlaManage = 'sla:manage',
  /** Open311 API keys: create, list, revoke (admin). */
  Open311Manage = 'open311:manage',
}

// The catalogue (platforms, categories, case standards) is read by every staff role but the auditor.
const EVERY_STAFF = [Permission.SelfRead];
const CATALOGUE = [Permission.CatalogueRead];

export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  [Role.GridWorker]: [...EVERY_STAFF, ...CATALOGUE, Permission.OrgRead, Permission.TicketFile, Permission.TicketRead, Permission.TicketAct],
  [Role.Dispatcher]: [...EVERY_STAFF, ...CATALOGUE, Permission.OrgRead, Permission.TicketFile, Permission.TicketRead, Permission.TicketAct, Permission.TicketRevealPersonal, Permission.DispatchManage, Permission.QueueRead, Permission.ReportRead],
  [Role.Handler]: [...EVERY_STAFF, ...CATALOGUE, Permission.OrgRead, Permission.TicketRead, Permission.TicketAct, Permission.TicketRevealPersonal, Permission.QueueRead],
  // Officials read their subtree and may add supervision (督办); the workflow refuses them every other action.
  [Role.Official]: [...EVERY_STAFF, ...CATALOGUE, Permission.OrgRead, Permission.TicketRead, Permission.TicketAct, Permission.QueueRead, Permission.ReportRead],
  // The auditor reads the audit log and nothing else.
  [Role.Auditor]: [...EVERY_STAFF, Permission.AuditRead],
  // The admin manages the organisation and security settings but reads no audit log and no case content.
  [Role.Admin]: [...EVERY_STAFF, ...CATALOGUE, Permission.CatalogueManage, Permission.OrgRead, Permission.OrgManage, Permission.UserManage, Permission.SecurityManage, Permission.SlaManage, Permission.DispatchManage, Permission.Open311Manage, Permission.ReportManage],
};

export function roleHas(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].includes(permission);
}
