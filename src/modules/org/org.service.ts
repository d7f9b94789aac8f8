import { Injectable } from '@nestjs/common';
import type { Principal } from '../auth/principal';
import { PasswordService } from '../auth/password.service';
import { SessionService } from '../auth/session.service';
import { Role } from '../auth/roles';
import type { CreateGridNodeRequest, CreateUnitRequest, CreateUserRequest, UpdateGridNodeRequest, UpdateUnitRequest, UpdateUserRequest } from './dto/org.request.dto';
import { GridNodeResponse, UnitResponse, UserResponse } from './dto/org.response.dto';
import { parseGridCsv } from './grid-csv';
import { OrgErrorCode, OrgException } from './org.exception';
import { OrgRepository, type GridNodeRow, type Scope } from './org.repository';

const scopeOf = (p: Principal): Scope => ({ path: p.scopePath });

// 三员分立 (separation of duties): the audit log is the auditor's alone, so no admin may make anybody an
// auditor, turn an auditor into something else, or take over an auditor account (password, second factor,
// scope, deactivation); and nobody changes their own role. Auditor accounts are set up by the operator.
const AUDITOR_GRANT = { en: 'the auditor role cannot be granted through the API; the operator sets up auditor accounts (docs/operations.md)', zh: '不能通过接口授予审计员角色，审计员账号由运维人员设置（见 docs/operations.md）' };
const AUDITOR_ACCOUNT = { en: 'an administrator cannot change, reset or deactivate an auditor account', zh: '管理员不能修改、重置或停用审计员账号' };
const OWN_ROLE = { en: 'you cannot change your own role', zh: '不能更改本人的角色' };

function assertPolygon(polygon: unknown): void {
  const p = polygon as { type?: unknown; coordinates?: unknown };
  const ok = p?.type === 'Polygon' && Array.isArray(p.coordinates) && p.coordinates.length > 0 && p.coordinates.length <= 50 &&
    p.coordinates.every((ring) => Array.isArray(ring) && ring.length >= 4 && ring.length <= 5000 && ring.every((pt) =>
      Array.isArray(pt) && pt.length === 2 && typeof pt[0] === 'number' && typeof pt[1] === 'number' &&
      Math.abs(pt[0]) <= 180 && Math.abs(pt[1]) <= 90));
  if (!ok) {
    throw new OrgException(OrgErrorCode.IMPORT_INVALID, { en: 'polygon must be a GeoJSON Polygon in WGS84', zh: 'polygon 必须是 WGS84 坐标的 GeoJSON 多边形' });
  }
}

/** Grid tree, handling units and users, always within the caller's scope. */
@Injectable()
export class OrgService {
  constructor(
    private readonly repo: OrgRepository,
    private readonly passwords: PasswordService,
    private readonly sessions: SessionService,
  ) {}

  async node(p: Principal, id: string): Promise<GridNodeResponse> {
    return GridNodeResponse.from(await this.requireNode(scopeOf(p), id));
  }

  async children(p: Principal, id: string): Promise<GridNodeResponse[]> {
    await this.requireNode(scopeOf(p), id);
    return (await this.repo.children(scopeOf(p), id)).map(GridNodeResponse.from);
  }

  async createNode(p: Principal, body: CreateGridNodeRequest): Promise<GridNodeResponse> {
    if (body.polygon !== undefined) assertPolygon(body.polygon);
    const parent = await this.repo.findNode(scopeOf(p), body.parentId);
    if (!parent) throw new OrgException(OrgErrorCode.NODE_NOT_FOUND);
    const created = await this.repo.transaction((m) => this.repo.insertNode(m, parent, body));
    if (created === 'code_taken') throw new OrgException(OrgErrorCode.CODE_TAKEN);
    return GridNodeResponse.from(created);
  }

  async updateNode(p: Principal, id: string, body: UpdateGridNodeRequest): Promise<GridNodeResponse> {
    if (body.polygon !== undefined) assertPolygon(body.polygon);
    if (!(await this.repo.updateNode(scopeOf(p), id, body))) throw new OrgException(OrgErrorCode.NODE_NOT_FOUND);
    return this.node(p, id);
  }

  /** Imports a grid tree from CSV in one transaction: all rows or none. Parents must exist or come earlier. */
  async importCsv(p: Principal, text: string): Promise<{ created: number }> {
    const { rows, errors } = parseGridCsv(text);
    if (errors.length > 0) throw new OrgException(OrgErrorCode.IMPORT_INVALID, undefined, errors.slice(0, 200));
    if (rows.length === 0) throw new OrgException(OrgErrorCode.IMPORT_INVALID, { en: 'no rows', zh: '没有数据行' });
    return this.repo.transaction(async (m) => {
      const known = new Map<string, Pick<GridNodeRow, 'id' | 'path' | 'depth'>>();
      const problems: Array<{ field: string; message: string }> = [];
      for (const row of rows) {
        let parent = known.get(row.parentCode);
        if (!parent) {
          parent = await this.repo.findNodeByCode(scopeOf(p), row.parentCode, m);
          if (parent) known.set(row.parentCode, parent);
        }
        if (!parent) {
          problems.push({ field: `line ${row.line}: parent_code`, message: 'parent not found in your scope / 上级节点不存在或不在管辖范围内' });
          continue;
        }
        const created = await this.repo.insertNode(m, parent, row);
        if (created === 'code_taken') {
          problems.push({ field: `line ${row.line}: code`, message: 'code already exists / 编码已存在' });
          continue;
        }
        known.set(row.code, created);
      }
      if (problems.length > 0) throw new OrgException(OrgErrorCode.IMPORT_INVALID, undefined, problems.slice(0, 200));
      return { created: rows.length };
    });
  }

  async units(p: Principal, type?: string): Promise<UnitResponse[]> {
    return (await this.repo.listUnits(scopeOf(p), { type })).map(UnitResponse.from);
  }

  async unit(p: Principal, id: string): Promise<UnitResponse> {
    const u = await this.repo.findUnit(scopeOf(p), id);
    if (!u) throw new OrgException(OrgErrorCode.UNIT_NOT_FOUND);
    return UnitResponse.from(u);
  }

  async createUnit(p: Principal, body: CreateUnitRequest): Promise<UnitResponse> {
    await this.requireNode(scopeOf(p), body.jurisdictionNodeId);
    const id = await this.repo.insertUnit(body);
    if (id === 'code_taken') throw new OrgException(OrgErrorCode.CODE_TAKEN);
    return this.unit(p, id);
  }

  async updateUnit(p: Principal, id: string, body: UpdateUnitRequest): Promise<UnitResponse> {
    if (!(await this.repo.updateUnit(scopeOf(p), id, body))) throw new OrgException(OrgErrorCode.UNIT_NOT_FOUND);
    return this.unit(p, id);
  }

  async users(p: Principal, filter: { role?: string; unitId?: string }): Promise<UserResponse[]> {
    return (await this.repo.listUsers(scopeOf(p), filter)).map(UserResponse.from);
  }

  async user(p: Principal, id: string): Promise<UserResponse> {
    const u = await this.repo.findUser(scopeOf(p), id);
    if (!u) throw new OrgException(OrgErrorCode.USER_NOT_FOUND);
    return UserResponse.from(u);
  }

  async createUser(p: Principal, body: CreateUserRequest): Promise<UserResponse> {
    if (body.role === Role.Auditor) throw new OrgException(OrgErrorCode.SEPARATION_OF_DUTIES, AUDITOR_GRANT);
    await this.requireNode(scopeOf(p), body.scopeNodeId);
    if (body.role === Role.Handler && !body.unitId) throw new OrgException(OrgErrorCode.UNIT_REQUIRED);
    if (body.unitId) await this.unit(p, body.unitId);
    this.passwords.assertAcceptable(body.password, body.username);
    const id = await this.repo.insertUser({ ...body, unitId: body.unitId ?? null, passwordHash: await this.passwords.hash(body.password) });
    if (id === 'username_taken') throw new OrgException(OrgErrorCode.USERNAME_TAKEN);
    return this.user(p, id);
  }

  async updateUser(p: Principal, id: string, body: UpdateUserRequest): Promise<UserResponse> {
    const existing = await this.repo.findUser(scopeOf(p), id);
    if (!existing) throw new OrgException(OrgErrorCode.USER_NOT_FOUND);
    if (existing.role === Role.Auditor) throw new OrgException(OrgErrorCode.SEPARATION_OF_DUTIES, AUDITOR_ACCOUNT);
    if (body.role === Role.Auditor) throw new OrgException(OrgErrorCode.SEPARATION_OF_DUTIES, AUDITOR_GRANT);
    if (id === p.id && body.role !== undefined && body.role !== existing.role) throw new OrgException(OrgErrorCode.SEPARATION_OF_DUTIES, OWN_ROLE);
    if (body.scopeNodeId) await this.requireNode(scopeOf(p), body.scopeNodeId);
    if (body.unitId) await this.unit(p, body.unitId);
    const role = body.role ?? existing.role;
    const unitId = body.unitId === undefined ? existing.unit_id : body.unitId;
    if (role === Role.Handler && !unitId) throw new OrgException(OrgErrorCode.UNIT_REQUIRED);
    if (body.password) this.passwords.assertAcceptable(body.password, existing.username);
    const updated = await this.repo.updateUser(id, {
      ...body,
      passwordHash: body.password ? await this.passwords.hash(body.password) : undefined,
    });
    // The repository refuses to touch an auditor row too, in case the role changed since it was read.
    if (!updated) throw new OrgException(OrgErrorCode.SEPARATION_OF_DUTIES, AUDITOR_ACCOUNT);
    // A changed password, role, scope or unit, a deactivation, or a reset second factor (the authenticator was lost,
    // perhaps stolen) ends every session of that user.
    if (body.password || body.role || body.scopeNodeId || body.active === false || body.unitId !== undefined || body.resetTotp) {
      await this.sessions.revokeAllForUser(id);
    }
    return this.user(p, id);
  }

  async setOnDuty(p: Principal, onDuty: boolean): Promise<void> {
    if (p.role !== Role.Handler) throw new OrgException(OrgErrorCode.HANDLERS_ONLY);
    await this.repo.setOnDuty(p.id, onDuty);
  }

  private async requireNode(scope: Scope, id: string): Promise<GridNodeRow> {
    const node = await this.repo.findNode(scope, id);
    if (!node) throw new OrgException(OrgErrorCode.NODE_NOT_FOUND);
    return node;
  }
}
