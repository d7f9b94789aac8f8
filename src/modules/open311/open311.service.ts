import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { CatalogueService } from '../catalogue/catalogue.service';
import type { CategoryView } from '../catalogue/catalogue.types';
import { platformDefinition } from '../platforms/platform-registry';
import type { PlatformDefinition } from '../platforms/platform.types';
import { parseIsoDate } from './open311-format';
import { toPublishedRequests, toService, toServiceDefinition, type Open311Request, type Open311ServiceType, type Open311ServiceDefinition } from './open311.mapper';
import { Open311ErrorCode, Open311Exception } from './open311.exception';
import { Open311Repository, type GridNodeRef } from './open311.repository';

/**
 * Disputes (纠纷化解) carry the parties' personal data and are visible only to their mediators: not even a
 * service. Which tickets of the other platforms are published is the publication policy's business
 * (open311-publication.ts).
 */
const PRIVATE_PLATFORMS = new Set(['dispute_resolution']);
const MAX_SPAN_MS = 90 * 86400 * 1000;
const MAX_RESULTS = 1000;
/** The `page` extension (as Chicago's and other cities' Open311 servers take it): at most this many pages deep. */
const MAX_PAGE = 1000;
const NUMBER = /^[A-Za-z0-9-]{1,40}$/;

export interface Discovery {
  changeset: string;
  contact: string;
  key_service: string;
  endpoints: Array<{ specification: string; url: string; changeset: string; type: string; formats: string[] }>;
}

/** The last change of this endpoint's interface (GeoReport v2 discovery `changeset`). */
const CHANGESET = '2026-11-29T00:00:00+08:00'; // rating extension (POST requests/{id}/rating)

function firstString(v: unknown, field: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v.join(',');
  throw new Open311Exception(Open311ErrorCode.INVALID_PARAMETER, undefined, [{ field, message: 'must be text / 必须是文本' }]);
}

/** The read side of GeoReport v2: discovery, services, service definitions and requests. */
@Injectable()
export class Open311Service {
  constructor(
    private readonly catalogue: CatalogueService,
    private readonly repo: Open311Repository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * The endpoint named is under `PUBLIC_BASE_URL` when configured (behind a proxy or TLS terminator, and never
   * whatever Host header a caller sent); without it, the address this request came to (`requestBase`).
   */
  discovery(requestBase: string): Discovery {
    const endpointUrl = `${this.config.open311.publicBaseUrl ?? requestBase}/open311/v2/`;
    return {
      changeset: CHANGESET,
      contact: '阜新市城市运行管理指挥中心 12345 (Fuxin City Operations Command Centre)',
      key_service: '向所在辖区的系统管理员申请 API 密钥 (ask the administrator of your jurisdiction for an API key)',
      endpoints: [{ specification: 'http://wiki.open311.org/GeoReport_v2', url: endpointUrl, changeset: CHANGESET, type: 'production', formats: ['text/xml', 'application/json'] }],
    };
  }

  /** jurisdiction_id is optional (one deployment serves one city); when given it must be a grid node code. */
  async jurisdiction(raw: unknown): Promise<GridNodeRef | undefined> {
    const code = firstString(raw, 'jurisdiction_id');
    if (code === undefined || code === '') return undefined;
    const node = /^[0-9A-Za-z_]{1,40}$/.test(code) ? await this.repo.nodeByCode(code) : undefined;
    if (!node) throw new Open311Exception(Open311ErrorCode.JURISDICTION_NOT_FOUND);
    return node;
  }

  /**
   * Current leaf categories of the public platforms that can be filed, in catalogue order, each with its
   * platform. A category without case standards (立案标准) is refused at filing (422 STANDARD_REQUIRED), so it
   * is not offered as a service either.
   */
  private async serviceCategories(): Promise<Array<{ category: CategoryView; platform: PlatformDefinition }>> {
    const all = await this.catalogue.listCategories({});
    const parents = new Set(all.map((c) => c.parentCode).filter((c): c is string => c !== null));
    return all.flatMap((category) => {
      const platform = platformDefinition(category.platform);
      if (!platform || PRIVATE_PLATFORMS.has(category.platform) || parents.has(category.code) || category.level === 'major') return [];
      if (category.standards.length === 0) return [];
      return [{ category, platform }];
    });
  }

  async services(): Promise<Open311ServiceType[]> {
    return (await this.serviceCategories()).map((s) => toService(s.category, s.platform));
  }

  /** The category behind a service code, if it is one of the public services. */
  async serviceCategory(code: string): Promise<{ category: CategoryView; platform: PlatformDefinition }> {
    const category = await this.catalogue.currentCategory(code);
    const found = category ? (await this.serviceCategories()).find((s) => s.category.code === category.code) : undefined;
    if (!found) throw new Open311Exception(Open311ErrorCode.SERVICE_NOT_FOUND);
    return found;
  }

  async definition(code: string): Promise<Open311ServiceDefinition> {
    const s = await this.serviceCategory(code);
    return toServiceDefinition(s.category, s.platform);
  }

  /**
   * GET requests: by service_request_id (comma-separated; overrides every other filter), else by
   * service_code, start_date/end_date (at most 90 days; default the last 90) and status; newest first, at
   * most 1000. Two extensions page through larger windows: `page_size` (1–1000, default 1000) and `page`
   * (1–1000, default 1).
   */
  async requests(q: Record<string, unknown>, jurisdiction: GridNodeRef | undefined): Promise<Open311Request[]> {
    const ids = firstString(q.service_request_id, 'service_request_id');
    // An empty `service_request_id=` (a client's blank search field) is no filter, like any other empty one.
    if (ids !== undefined && ids.trim() !== '') {
      const numbers = [...new Set(ids.split(',').map((s) => s.trim()).filter((s) => s !== ''))];
      if (numbers.length === 0 || numbers.length > 200 || !numbers.every((n) => NUMBER.test(n))) {
        throw new Open311Exception(Open311ErrorCode.INVALID_PARAMETER, undefined, [{ field: 'service_request_id', message: 'one to 200 ticket numbers, comma-separated / 1 到 200 个工单编号，以逗号分隔' }]);
      }
      return toPublishedRequests(await this.repo.requests({ numbers, scopePath: jurisdiction?.path, limit: MAX_RESULTS }));
    }
    const errors: Array<{ field: string; message: string }> = [];
    const serviceCode = firstString(q.service_code, 'service_code');
    if (serviceCode !== undefined && !/^[0-9A-Za-z_]{1,40}$/.test(serviceCode)) errors.push({ field: 'service_code', message: 'must be a service code / 服务编码格式不正确' });
    const date = (field: 'start_date' | 'end_date'): Date | undefined => {
      const raw = firstString(q[field], field);
      if (raw === undefined) return undefined;
      const d = parseIsoDate(raw);
      if (!d) errors.push({ field, message: 'must be an ISO 8601 date-time, e.g. 2026-11-27T08:00:00+08:00 / 必须是 ISO 8601 时间' });
      return d;
    };
    let from = date('start_date');
    let to = date('end_date');
    const statusRaw = firstString(q.status, 'status');
    const status = statusRaw === undefined ? undefined : [...new Set(statusRaw.split(',').map((s) => s.trim().toLowerCase()))];
    if (status && !status.every((s): s is 'open' | 'closed' => s === 'open' || s === 'closed')) errors.push({ field: 'status', message: 'must be open and/or closed / 只能是 open 或 closed' });
    const whole = (field: 'page' | 'page_size', max: number, fallback: number): number => {
      const raw = firstString(q[field], field);
      if (raw === undefined) return fallback;
      if (/^[1-9][0-9]{0,6}$/.test(raw) && Number(raw) <= max) return Number(raw);
      errors.push({ field, message: `must be a whole number from 1 to ${max} / 必须是 1 到 ${max} 的整数` });
      return fallback;
    };
    const pageSize = whole('page_size', MAX_RESULTS, MAX_RESULTS);
    const page = whole('page', MAX_PAGE, 1);
    if (errors.length > 0) throw new Open311Exception(Open311ErrorCode.INVALID_PARAMETER, undefined, errors);
    if (from && to && from.getTime() > to.getTime()) {
      throw new Open311Exception(Open311ErrorCode.INVALID_PARAMETER, undefined, [{ field: 'end_date', message: 'must not be before start_date / 不能早于 start_date' }]);
    }
    if (from && to && to.getTime() - from.getTime() > MAX_SPAN_MS) throw new Open311Exception(Open311ErrorCode.DATE_RANGE_TOO_LONG);
    // Without both ends the window is 90 days: after start_date, before end_date, or up to now (database clock).
    if (from && !to) to = new Date(from.getTime() + MAX_SPAN_MS);
    if (!from && to) from = new Date(to.getTime() - MAX_SPAN_MS);
    const rows = await this.repo.requests({
      scopePath: jurisdiction?.path, serviceCode, from, to, status: status as Array<'open' | 'closed'> | undefined,
      limit: pageSize, offset: (page - 1) * pageSize,
      recentDays: !from && !to ? 90 : undefined,
    });
    return toPublishedRequests(rows);
  }

  /**
   * One request by its number (service_request_id = ticket number); 404 when unknown or not published —
   * the same answer, so that a private ticket's existence is not revealed either.
   */
  async request(number: string, jurisdiction: GridNodeRef | undefined): Promise<Open311Request> {
    if (!NUMBER.test(number)) throw new Open311Exception(Open311ErrorCode.REQUEST_NOT_FOUND);
    const [request] = toPublishedRequests(await this.repo.requests({ numbers: [number], scopePath: jurisdiction?.path, limit: 1 }));
    if (!request) throw new Open311Exception(Open311ErrorCode.REQUEST_NOT_FOUND);
    return request;
  }
}
