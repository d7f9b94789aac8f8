import type { AuditRow } from '../audit.repository';

export class AuditEntryResponse {
  id!: string;
  at!: string;
  actorId!: string | null;
  actorUsername!: string | null;
  actorRole!: string | null;
  action!: string;
  target!: string | null;
  method!: string | null;
  path!: string | null;
  status!: number | null;
  result!: string;
  requestId!: string | null;
  ip!: string | null;
  details!: Record<string, unknown>;

  static from(r: AuditRow): AuditEntryResponse {
    return {
      id: r.id, at: r.at.toISOString(), actorId: r.actor_id, actorUsername: r.actor_username, actorRole: r.actor_role,
      action: r.action, target: r.target, method: r.method, path: r.path, status: r.status, result: r.result,
      requestId: r.request_id, ip: r.ip, details: r.details,
    };
  }
}
