import { Inject, Injectable } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { AuditService } from '../audit/audit.service';
import type { Principal } from '../auth/principal';
import type { CreateOpen311KeyRequest } from './dto/open311-key.request.dto';
import type { CreatedOpen311KeyResponse, Open311KeyResponse } from './dto/open311-key.response.dto';
import { Open311ErrorCode, Open311Exception } from './open311.exception';
import { Open311Repository, type ApiKeyRow } from './open311.repository';

/** Keys are 32 random bytes (base64url): a SHA-256 of them is enough, no slow hash needed. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

function toResponse(k: ApiKeyRow): Open311KeyResponse {
  return {
    id: k.id, name: k.name, keyPrefix: k.key_prefix, jurisdictionNodeId: k.jurisdiction_node_id, jurisdictionCode: k.jurisdiction_code,
    jurisdictionName: k.jurisdiction_name, rateLimitPerMinute: k.rate_limit_per_minute, active: k.active,
    createdAt: k.created_at.toISOString(), revokedAt: k.revoked_at?.toISOString() ?? null,
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Open311 API keys: created, listed and revoked by admins within their scope; every change audited. */
@Injectable()
export class Open311KeysService {
  constructor(
    private readonly repo: Open311Repository,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * The active key for a presented api_key, or undefined. A demo key (`is_demo`, seeded by `npm run demo`)
   * is refused in production mode, with the same answer as an unknown key, as demo accounts are at login.
   */
  async authenticate(key: string | undefined): Promise<ApiKeyRow | undefined> {
    if (!key || key.length > 200) return undefined;
    const row = await this.repo.keyByHash(hashApiKey(key));
    if (!row?.active) return undefined;
    if (row.is_demo && this.config.mode === 'production') return undefined;
    return row;
  }

  async create(p: Principal, body: CreateOpen311KeyRequest, requestId: string): Promise<CreatedOpen311KeyResponse> {
    const node = await this.repo.nodeInScope(p.scopePath, body.jurisdictionNodeId);
    if (!node) throw new Open311Exception(Open311ErrorCode.JURISDICTION_NOT_FOUND);
    const key = `o311_${randomBytes(32).toString('base64url')}`;
    const id = await this.repo.insertKey({
      hash: hashApiKey(key), prefix: key.slice(0, 9), name: body.name, nodeId: node.id, rateLimit: body.rateLimitPerMinute ?? 60, createdBy: p.id,
    });
    await this.audit.record({
      actorId: p.id, actorUsername: p.username, actorRole: p.role, action: 'open311.key.create', target: id, result: 'success', requestId,
      details: { name: body.name, jurisdiction: node.code, rateLimitPerMinute: body.rateLimitPerMinute ?? 60 },
    });
    const row = (await this.repo.keyInScope(p.scopePath, id))!;
    return { ...toResponse(row), key };
  }

  async list(p: Principal): Promise<Open311KeyResponse[]> {
    return (await this.repo.keysInScope(p.scopePath)).map(toResponse);
  }

  async revoke(p: Principal, id: string, requestId: string): Promise<Open311KeyResponse> {
    const found = UUID.test(id) ? await this.repo.keyInScope(p.scopePath, id) : undefined;
    if (!found) throw new Open311Exception(Open311ErrorCode.KEY_NOT_FOUND);
    await this.repo.revokeKey(id);
    await this.audit.record({
      actorId: p.id, actorUsername: p.username, actorRole: p.role, action: 'open311.key.revoke', target: id, result: 'success', requestId,
      details: { name: found.name, alreadyRevoked: !found.active },
    });
    return toResponse((await this.repo.keyInScope(p.scopePath, id))!);
  }
}
