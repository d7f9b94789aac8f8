import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { RequestRow } from './open311.mapper';
import { publishedPlatforms } from './open311-publication';

export interface ApiKeyRow {
  id: string;
  key_prefix: string;
  name: string;
  jurisdiction_node_id: string;
  jurisdiction_path: string;
  jurisdiction_code: string;
  jurisdiction_name: string;
  rate_limit_per_minute: number;
  active: boolean;
  /** Seeded by `npm run demo` and the tests only; refused in production mode. */
  is_demo: boolean;
  created_at: Date;
  revoked_at: Date | null;
}

export interface GridNodeRef { id: string; path: string; code: string; name: string }

export interface RatingTarget { id: string; version: number; status: string; platform: string; api_key_id: string | null }

export interface RequestFilter {
  numbers?: string[];
  scopePath?: string;
  serviceCode?: string;
  from?: Date;
  to?: Date;
  status?: Array<'open' | 'closed'>;
  /** Rows to skip before `limit` (the `page` extension). */
  offset?: number;
  /** Only tickets filed within this many days before now (database clock). */
  recentDays?: number;
  limit: number;
}

const KEY_COLUMNS = `k.id, k.key_prefix, k.name, k.jurisdiction_node_id, g.path::text AS jurisdiction_path, g.code AS jurisdiction_code,
  g.name AS jurisdiction_name, k.rate_limit_per_minute, k.active, k.is_demo, k.created_at, k.revoked_at`;

// Only words staff wrote for the public (an action's `publicNote`, 公开答复) are published; an action's `note` is
// for staff (it may name the resident, their flat, their phone) and never leaves. A resident's own rating comment
// (回访 through Open311, actor role `resident`) is their opinion of named staff, for the staff only.
const PUBLIC_NOTE = `e.data ? 'publicNote' AND e.actor_role <> 'resident'`;
const CLOSED = `'closed','archived','voided','cancelled'`;

/**
 * SQL of the Open311 context: API keys, rate windows, locating a point in the grid, and the public read
 * model of tickets (whitelisted columns only — no reporter column is ever selected here).
 */
@Injectable()
export class Open311Repository {
  constructor(private readonly ds: DataSource) {}

  async keyByHash(hash: string): Promise<ApiKeyRow | undefined> {
    const rows: ApiKeyRow[] = await this.ds.query(
      `SELECT ${KEY_COLUMNS} FROM open311_api_keys k JOIN grid_nodes g ON g.id = k.jurisdiction_node_id WHERE k.key_hash = $1`, [hash]);
    return rows[0];
  }

  async keysInScope(scopePath: string): Promise<ApiKeyRow[]> {
    return this.ds.query(
      `SELECT ${KEY_COLUMNS} FROM open311_api_keys k JOIN grid_nodes g ON g.id = k.jurisdiction_node_id
        WHERE g.path <@ $1::ltree ORDER BY k.created_at DESC, k.id`, [scopePath]);
  }

  async insertKey(k: { hash: string; prefix: string; name: string; nodeId: string; rateLimit: number; createdBy: string | null; isDemo?: boolean }): Promise<string> {
    const rows: Array<{ id: string }> = await this.ds.query(
      `INSERT INTO open311_api_keys (key_hash, key_prefix, name, jurisdiction_node_id, rate_limit_per_minute, created_by, is_demo)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
      [k.hash, k.prefix, k.name, k.nodeId, k.rateLimit, k.createdBy, k.isDemo ?? false]);
    return rows[0]!.id;
  }

  async keyInScope(scopePath: string, id: string): Promise<ApiKeyRow | undefined> {
    const rows: ApiKeyRow[] = await this.ds.query(
      `SELECT ${KEY_COLUMNS} FROM open311_api_keys k JOIN grid_nodes g ON g.id = k.jurisdiction_node_id
        WHERE k.id = $1 AND g.path <@ $2::ltree`, [id, scopePath]);
    return rows[0];
  }

  /** Revokes a key (idempotent: a revoked key keeps its first revocation time). */
  async revokeKey(id: string): Promise<void> {
    await this.ds.query(`UPDATE open311_api_keys SET active = false, revoked_at = coalesce(revoked_at, now()) WHERE id = $1`, [id]);
  }

  async nodeInScope(scopePath: string, id: string): Promise<GridNodeRef | undefined> {
    const rows: GridNodeRef[] = await this.ds.query(
      `SELECT id, path::text AS path, code, name FROM grid_nodes WHERE id = $1 AND path <@ $2::ltree`, [id, scopePath]);
    return rows[0];
  }

  async nodeByCode(code: string): Promise<GridNodeRef | undefined> {
    const rows: GridNodeRef[] = await this.ds.query(`SELECT id, path::text AS path, code, name FROM grid_nodes WHERE code = $1`, [code]);
    return rows[0];
  }

  /**
   * Counts one hit in the current minute window of `subject` (database clock) and returns the count so far.
   * One upsert: concurrent API processes share the counter.
   */
  async hit(subject: string): Promise<{ hits: number; retryAfterSeconds: number }> {
    const rows: Array<{ hits: number; retry: number }> = await this.ds.query(
      `INSERT INTO open311_rate_windows AS w (subject, window_start, hits) VALUES ($1, date_trunc('minute', now()), 1)
       ON CONFLICT (subject, window_start) DO UPDATE SET hits = w.hits + 1
       RETURNING hits, ceil(extract(epoch FROM date_trunc('minute', now()) + interval '1 minute' - now()))::int AS retry`, [subject]);
    return { hits: rows[0]!.hits, retryAfterSeconds: Math.max(1, rows[0]!.retry) };
  }

  /** Drops rate windows older than a few minutes (job `open311.rate-purge`). */
  async purgeRateWindows(): Promise<number> {
    const rows: Array<{ n: number }> = await this.ds.query(
      `WITH d AS (DELETE FROM open311_rate_windows WHERE window_start < date_trunc('minute', now()) - interval '5 minutes' RETURNING 1)
       SELECT count(*)::int AS n FROM d`);
    return rows[0]!.n;
  }

  /** The deepest node of the subtree whose GeoJSON polygon contains the point. */
  async deepestContaining(scopePath: string, lat: number, lng: number): Promise<GridNodeRef | undefined> {
    const rows: GridNodeRef[] = await this.ds.query(
      `SELECT id, path::text AS path, code, name FROM grid_nodes
        WHERE path <@ $1::ltree AND polygon IS NOT NULL AND open311_point_in_geojson(polygon, $2, $3)
        ORDER BY depth DESC, code LIMIT 1`, [scopePath, lat, lng]);
    return rows[0];
  }

  /** Whether the node has a polygon and the point lies outside it (undefined: it has no polygon). */
  async outsidePolygonOf(nodeId: string, lat: number, lng: number): Promise<boolean | undefined> {
    const rows: Array<{ has: boolean; inside: boolean }> = await this.ds.query(
      `SELECT polygon IS NOT NULL AS has, coalesce(open311_point_in_geojson(polygon, $2, $3), false) AS inside FROM grid_nodes WHERE id = $1`,
      [nodeId, lat, lng]);
    const r = rows[0];
    if (!r || !r.has) return undefined;
    return !r.inside;
  }

  /** The nearest node of the subtree that has coordinates, with its distance in metres (equirectangular). */
  async nearest(scopePath: string, lat: number, lng: number): Promise<(GridNodeRef & { distance_m: number }) | undefined> {
    const rows: Array<GridNodeRef & { distance_m: number }> = await this.ds.query(
      `SELECT id, path::text AS path, code, name,
              6371000 * sqrt(power(radians(lat - $2), 2) + power(radians(lng - $3) * cos(radians($2::float8)), 2)) AS distance_m
         FROM grid_nodes WHERE path <@ $1::ltree AND lat IS NOT NULL AND lng IS NOT NULL
        ORDER BY distance_m, depth DESC LIMIT 1`, [scopePath, lat, lng]);
    const r = rows[0];
    return r ? { ...r, distance_m: Number(r.distance_m) } : undefined;
  }

  /** The deepest node of the subtree whose name appears in an address text (a geocoder for our own grid). */
  async deepestNamedIn(scopePath: string, address: string): Promise<GridNodeRef | undefined> {
    const rows: GridNodeRef[] = await this.ds.query(
      `SELECT id, path::text AS path, code, name FROM grid_nodes
        WHERE path <@ $1::ltree AND char_length(name) >= 2 AND strpos($2, name) > 0
        ORDER BY depth DESC, char_length(name) DESC, code LIMIT 1`, [scopePath, address]);
    return rows[0];
  }

  /**
   * A district- or street-level node (the first three levels of the tree: city, district, street) named in the
   * address text that is neither inside `scopePath` nor above it: "细河区…" sent with a key of 海州区. Deeper names
   * (社区, 楼栋: "1号楼") repeat across districts and are not taken as evidence.
   */
  async namedOutside(scopePath: string, address: string): Promise<GridNodeRef | undefined> {
    const rows: GridNodeRef[] = await this.ds.query(
      `SELECT id, path::text AS path, code, name FROM grid_nodes
        WHERE nlevel(path) <= 3 AND char_length(name) >= 2 AND strpos($2, name) > 0
          AND NOT path <@ $1::ltree AND NOT $1::ltree <@ path
        ORDER BY nlevel(path), code LIMIT 1`, [scopePath, address]);
    return rows[0];
  }

  /** The request link, in the filing's transaction (`m`): written with the ticket or not at all. */
  async insertRequestLink(m: EntityManager, r: { ticketId: string; apiKeyId: string; emailEnc: string | null; deviceIdEnc: string | null }): Promise<void> {
    await m.query(
      `INSERT INTO open311_requests (ticket_id, api_key_id, email_enc, device_id_enc) VALUES ($1, $2, $3, $4) ON CONFLICT (ticket_id) DO NOTHING`,
      [r.ticketId, r.apiKeyId, r.emailEnc, r.deviceIdEnc]);
  }

  /**
   * What a rating needs to know of a ticket, by number: its id, version, state, platform, and the API key
   * that filed it (null when staff filed it).
   */
  async ratingTarget(number: string): Promise<RatingTarget | undefined> {
    const rows: RatingTarget[] = await this.ds.query(
      `SELECT t.id, t.version, t.status, t.platform, o.api_key_id FROM tickets t LEFT JOIN open311_requests o ON o.ticket_id = t.id WHERE t.number = $1`, [number]);
    return rows[0];
  }

  /**
   * Tickets as public GeoReport requests, under the publication policy (open311-publication.ts): only
   * platforms published for the way a ticket was filed — through Open311 (it has an `open311_requests` row,
   * written only by the Open311 intake; the `channel` column is not proof, staff may set it) or by staff.
   * Free text (description, address, public note) is selected only for tickets filed through Open311, and
   * the note only when the merge root was filed through Open311 too; the mapper applies the same policy
   * again. A merged ticket shows its merge root's status, notes, unit and deadline. `status` filters on
   * that effective status.
   */
  async requests(f: RequestFilter): Promise<RequestRow[]> {
    const params: unknown[] = [];
    const add = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    const where = [
      `((o.ticket_id IS NOT NULL AND t.platform = ANY(${add(publishedPlatforms(true))}::text[]))
        OR (o.ticket_id IS NULL AND t.platform = ANY(${add(publishedPlatforms(false))}::text[])))`,
    ];
    if (f.scopePath) where.push(`t.grid_path <@ ${add(f.scopePath)}::ltree`);
    if (f.numbers) where.push(`t.number = ANY(${add(f.numbers)}::text[])`);
    else {
      if (f.serviceCode) where.push(`t.category_code = ${add(f.serviceCode)}`);
      if (f.from) where.push(`t.created_at >= ${add(f.from)}`);
      if (f.to) where.push(`t.created_at <= ${add(f.to)}`);
      if (f.recentDays) where.push(`t.created_at >= now() - make_interval(days => ${add(f.recentDays)})`);
    }
    // The status filter applies to the merge root's status. A ticket that is not merged is its own root, so
    // only merged tickets (few) walk their chain here; the page is chosen from tickets and the request links
    // alone, and the per-row lookups (category, merge root, unit, deadline, public note) run for the page's
    // rows only — a deep `page` skips rows at the cost of an index walk, not of a chain lookup each.
    if (!f.numbers && f.status && f.status.length === 1) {
      where.push(`(CASE WHEN t.status = 'merged' THEN (SELECT r.status FROM ${mergeRoot('t')} r) ELSE t.status END IN (${CLOSED}))
        = ${f.status[0] === 'closed' ? 'true' : 'false'}`);
    }
    return this.ds.query(
      `WITH page AS MATERIALIZED (
         SELECT t.id, t.parent_id, t.status, t.number, t.platform, t.category_id, t.category_code, t.description, t.address, t.media_urls,
                t.lat, t.lng, t.created_at, o.ticket_id IS NOT NULL AS via_open311
           FROM tickets t
           LEFT JOIN open311_requests o ON o.ticket_id = t.id
          WHERE ${where.join(' AND ')}
          ORDER BY t.created_at DESC, t.number DESC
          LIMIT ${add(f.limit)} OFFSET ${add(f.offset ?? 0)}
       )
       SELECT x.number, x.platform, x.via_open311, x.category_code, x.service_name, x.description, x.address, x.media_url, x.lat, x.lng, x.created_at,
              x.effective_status, x.effective_updated_at, x.effective_closed_at, x.merged_into, x.root_platform,
              x.root_id <> x.id AND x.root_open311 AS root_via_open311,
              u.name_zh AS agency,
              (SELECT k.deadline FROM ticket_clocks k WHERE k.ticket_id = x.root_id AND k.stage = 'resolve' AND k.state = 'running'
                ORDER BY k.created_at DESC LIMIT 1) AS expected_at,
              CASE WHEN x.via_open311 AND x.root_open311 THEN
                (SELECT e.data->>'publicNote' FROM ticket_events e WHERE e.ticket_id = x.root_id AND e.filed_at = x.root_filed_at AND ${PUBLIC_NOTE}
                    AND e.to_status = x.effective_status
                  ORDER BY e.seq DESC LIMIT 1)
              END AS public_note
         FROM (
           SELECT t.id, t.number, t.platform, t.via_open311, t.category_code, c.name_zh AS service_name,
                  CASE WHEN t.via_open311 THEN t.description END AS description,
                  CASE WHEN t.via_open311 THEN t.address END AS address,
                  CASE WHEN t.via_open311 THEN t.media_urls[1] END AS media_url,
                  t.lat, t.lng, t.created_at,
                  r.id AS root_id, EXISTS (SELECT 1 FROM open311_requests ro WHERE ro.ticket_id = r.id) AS root_open311, r.created_at AS root_filed_at, r.unit_id, r.status AS effective_status, r.updated_at AS effective_updated_at, r.closed_at AS effective_closed_at,
                  CASE WHEN r.id <> t.id THEN r.number END AS merged_into, r.platform AS root_platform
             FROM page t
             JOIN categories c ON c.id = t.category_id
             CROSS JOIN LATERAL ${mergeRoot('t')} r
         ) x
         LEFT JOIN units u ON u.id = x.unit_id
        ORDER BY x.created_at DESC, x.number DESC`, params);
  }
}

/**
 * The merge root of ticket `alias` as a subquery (id, number, platform, status, updated_at, closed_at, unit_id): the
 * ticket itself unless it is merged, else the end of its parent chain (at most 20 links).
 */
function mergeRoot(alias: string): string {
  return `(
    WITH RECURSIVE chain AS (
      SELECT ${alias}.id, ${alias}.parent_id, ${alias}.status, 0 AS depth
      UNION ALL
      SELECT p.id, p.parent_id, p.status, chain.depth + 1 FROM tickets p JOIN chain ON p.id = chain.parent_id
       WHERE chain.status = 'merged' AND chain.depth < 20
    )
    SELECT p.id, p.number, p.platform, p.status, p.created_at, p.updated_at, p.closed_at, p.unit_id
      FROM chain JOIN tickets p ON p.id = chain.id ORDER BY chain.depth DESC LIMIT 1
  )`;
}
