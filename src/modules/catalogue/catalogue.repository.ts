import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { CategoryDraft, StandardDraft } from './catalogue-rules';

export interface PlatformRow {
  code: string;
  name_zh: string;
  name_en: string;
  sort: number;
}

export interface CategoryRow {
  id: string;
  code: string;
  version: number;
  platform: string;
  level: string;
  parent_code: string | null;
  name_zh: string;
  name_en: string;
  materials: string[];
  created_at: Date;
  superseded_at: Date | null;
  created_by: string | null;
}

export interface CaseStandardRow {
  id: string;
  category_id: string;
  code: string;
  name_zh: string;
  name_en: string;
  filing_condition_zh: string;
  closing_condition_zh: string;
  priority: string;
  clock_type: string;
  resolve_limit_seconds: number | null;
  /** numeric: the driver returns it as text. */
  resolve_limit_days: string | null;
  start_next_working_day: boolean;
  default_unit_type: string | null;
}

const CATEGORY_COLUMNS = `c.id, c.code, c.version, c.platform, c.level, c.parent_code, c.name_zh, c.name_en, c.materials,
  c.created_at, c.superseded_at, c.created_by`;
// Tree order: platform, then code (codes of a subtree share their parent's prefix in the demo catalogue).
const CATEGORY_ORDER = `p.sort, c.code, c.version`;

function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; driverError?: { code?: string } };
  return (e.driverError?.code ?? e.code) === '23505';
}

/** Platforms, category versions and their case standards. Versions are only ever inserted and superseded. */
@Injectable()
export class CatalogueRepository {
  constructor(private readonly ds: DataSource) {}

  transaction<T>(fn: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.ds.transaction(fn);
  }

  platforms(): Promise<PlatformRow[]> {
    return this.ds.query(`SELECT code, name_zh, name_en, sort FROM platforms ORDER BY sort`);
  }

  async platform(code: string): Promise<PlatformRow | undefined> {
    const rows: PlatformRow[] = await this.ds.query(`SELECT code, name_zh, name_en, sort FROM platforms WHERE code = $1`, [code]);
    return rows[0];
  }

  async findCurrent(code: string, m: EntityManager = this.ds.manager): Promise<CategoryRow | undefined> {
    const rows: CategoryRow[] = await m.query(
      `SELECT ${CATEGORY_COLUMNS} FROM categories c WHERE c.code = $1 AND c.superseded_at IS NULL`, [code]);
    return rows[0];
  }

  async findVersion(code: string, version: number): Promise<CategoryRow | undefined> {
    const rows: CategoryRow[] = await this.ds.query(
      `SELECT ${CATEGORY_COLUMNS} FROM categories c WHERE c.code = $1 AND c.version = $2`, [code, version]);
    return rows[0];
  }

  async findById(id: string, m: EntityManager = this.ds.manager): Promise<CategoryRow | undefined> {
    const rows: CategoryRow[] = await m.query(`SELECT ${CATEGORY_COLUMNS} FROM categories c WHERE c.id = $1`, [id]);
    return rows[0];
  }

  list(filter: { platform?: string; includeSuperseded?: boolean }): Promise<CategoryRow[]> {
    return this.ds.query(
      `SELECT ${CATEGORY_COLUMNS} FROM categories c JOIN platforms p ON p.code = c.platform
        WHERE ($1::text IS NULL OR c.platform = $1) AND ($2::boolean OR c.superseded_at IS NULL)
        ORDER BY ${CATEGORY_ORDER}`,
      [filter.platform ?? null, filter.includeSuperseded ?? false]);
  }

  /** The standards of the given category versions, the most urgent first. */
  standardsOf(categoryIds: string[], m: EntityManager = this.ds.manager): Promise<CaseStandardRow[]> {
    if (categoryIds.length === 0) return Promise.resolve([]);
    return m.query(
      `SELECT id, category_id, code, name_zh, name_en, filing_condition_zh, closing_condition_zh, priority, clock_type,
              resolve_limit_seconds, resolve_limit_days::text AS resolve_limit_days, start_next_working_day, default_unit_type
         FROM case_standards WHERE category_id = ANY($1::uuid[])
        ORDER BY category_id, CASE priority WHEN 'extra_urgent' THEN 0 WHEN 'urgent' THEN 1 ELSE 2 END, code`, [categoryIds]);
  }

  /** Serialises writers of the same codes until the transaction ends (creates, edits, imports). Sorted: no deadlocks. */
  async lockCodes(m: EntityManager, codes: string[]): Promise<void> {
    for (const code of [...new Set(codes)].sort()) {
      await m.query(`SELECT pg_advisory_xact_lock(hashtext('catalogue:' || $1))`, [code]);
    }
  }

  async codeExists(m: EntityManager, code: string): Promise<boolean> {
    const rows: unknown[] = await m.query(`SELECT 1 FROM categories WHERE code = $1 LIMIT 1`, [code]);
    return rows.length > 0;
  }

  async supersede(m: EntityManager, id: string): Promise<boolean> {
    const rows: unknown[] = await m.query(
      `WITH s AS (UPDATE categories SET superseded_at = now() WHERE id = $1 AND superseded_at IS NULL RETURNING id) SELECT id FROM s`, [id]);
    return rows.length > 0;
  }

  /** Inserts one category version with its standards; 'code_taken' when that code and version exist. */
  async insertVersion(m: EntityManager, d: CategoryDraft, version: number, createdBy: string | null): Promise<string | 'code_taken'> {
    let id: string;
    try {
      const rows: Array<{ id: string }> = await m.query(
        `INSERT INTO categories (code, version, platform, level, parent_code, name_zh, name_en, materials, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9) RETURNING id`,
        [d.code, version, d.platform, d.level, d.parentCode, d.nameZh, d.nameEn, JSON.stringify(d.materials), createdBy]);
      id = rows[0]!.id;
    } catch (err) {
      if (isUniqueViolation(err)) return 'code_taken';
      throw err;
    }
    await this.insertStandards(m, id, d.standards);
    return id;
  }

  private async insertStandards(m: EntityManager, categoryId: string, standards: StandardDraft[]): Promise<void> {
    if (standards.length === 0) return;
    await m.query(
      `INSERT INTO case_standards (category_id, code, name_zh, name_en, filing_condition_zh, closing_condition_zh, priority,
              clock_type, resolve_limit_seconds, resolve_limit_days, start_next_working_day, default_unit_type)
       SELECT $1, s.code, s.name_zh, s.name_en, s.filing_condition_zh, s.closing_condition_zh, s.priority,
              s.clock_type, s.resolve_limit_seconds, s.resolve_limit_days, s.start_next_working_day, s.default_unit_type
         FROM jsonb_to_recordset($2::jsonb) AS s(code text, name_zh text, name_en text, filing_condition_zh text,
              closing_condition_zh text, priority text, clock_type text, resolve_limit_seconds integer,
              resolve_limit_days numeric, start_next_working_day boolean, default_unit_type text)`,
      [categoryId, JSON.stringify(standards.map((s) => ({
        code: s.code, name_zh: s.nameZh, name_en: s.nameEn, filing_condition_zh: s.filingConditionZh,
        closing_condition_zh: s.closingConditionZh, priority: s.priority, clock_type: s.clockType,
        resolve_limit_seconds: s.resolveLimitSeconds, resolve_limit_days: s.resolveLimitDays,
        start_next_working_day: s.startNextWorkingDay, default_unit_type: s.defaultUnitType,
      })))]);
  }
}
