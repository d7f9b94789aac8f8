import type { GridNodeRow, UnitRow, UserRow } from '../org.repository';

export class GridNodeResponse {
  id!: string;
  parentId!: string | null;
  code!: string;
  name!: string;
  level!: string;
  depth!: number;
  path!: string;
  lat!: number | null;
  lng!: number | null;
  hasPolygon!: boolean;
  childCount!: number;

  static from(r: GridNodeRow): GridNodeResponse {
    return { id: r.id, parentId: r.parent_id, code: r.code, name: r.name, level: r.level, depth: r.depth, path: r.path,
      lat: r.lat, lng: r.lng, hasPolygon: r.polygon != null, childCount: r.child_count };
  }
}

export class UnitResponse {
  id!: string;
  code!: string;
  nameZh!: string;
  nameEn!: string;
  type!: string;
  jurisdictionNodeId!: string;
  active!: boolean;

  static from(r: UnitRow): UnitResponse {
    return { id: r.id, code: r.code, nameZh: r.name_zh, nameEn: r.name_en, type: r.type, jurisdictionNodeId: r.jurisdiction_node_id, active: r.active };
  }
}

/** Never carries password hashes or second-factor secrets. */
export class UserResponse {
  id!: string;
  username!: string;
  displayName!: string;
  role!: string;
  scopeNodeId!: string;
  unitId!: string | null;
  onDuty!: boolean;
  active!: boolean;
  totpEnabled!: boolean;
  locked!: boolean;
  createdAt!: string;

  static from(r: UserRow): UserResponse {
    return { id: r.id, username: r.username, displayName: r.display_name, role: r.role, scopeNodeId: r.scope_node_id,
      unitId: r.unit_id, onDuty: r.on_duty, active: r.active, totpEnabled: r.totp_enabled,
      locked: r.locked_until != null && r.locked_until.getTime() > Date.now(), createdAt: r.created_at.toISOString() };
  }
}
