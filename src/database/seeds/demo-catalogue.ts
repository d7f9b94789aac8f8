import type { DataSource } from 'typeorm';
import { PLATFORM_DEMO_CATEGORIES } from '../../modules/platforms/platform-registry';
import { PLATFORM_CODES } from '../../modules/platforms/platform.types';

/**
 * Seeds the demo catalogue of SPEC §13 (idempotent): every demo category whose code does not exist yet is
 * inserted as version 1 with its case standards; codes already present (any version, e.g. edited by an
 * admin) are left as they are.
 */
export async function seedDemoCatalogue(ds: DataSource): Promise<{ created: number }> {
  const categories = PLATFORM_CODES.flatMap((platform) => PLATFORM_DEMO_CATEGORIES[platform].map((c) => ({
    platform, code: c.code, level: c.level, parent_code: c.parentCode ?? null, name_zh: c.nameZh, name_en: c.nameEn,
    materials: c.materials ?? [],
  })));
  const standards = PLATFORM_CODES.flatMap((platform) => PLATFORM_DEMO_CATEGORIES[platform].flatMap((c) => (c.standards ?? []).map((s) => ({
    category_code: c.code, code: s.code, name_zh: s.nameZh, name_en: s.nameEn,
    filing_condition_zh: s.filingConditionZh, closing_condition_zh: s.closingConditionZh,
    priority: s.priority, clock_type: s.clockType, resolve_limit_seconds: s.resolveLimitSeconds ?? null,
    resolve_limit_days: s.resolveLimitDays ?? null, start_next_working_day: s.startNextWorkingDay ?? false,
    default_unit_type: s.defaultUnitType ?? null,
  }))));
  return ds.transaction(async (m) => {
    // Two demo starts at once must not both insert: serialise on the table.
    await m.query(`LOCK TABLE categories IN SHARE ROW EXCLUSIVE MODE`);
    const created: Array<{ id: string; code: string }> = await m.query(
      `INSERT INTO categories (code, version, platform, level, parent_code, name_zh, name_en, materials)
       SELECT x.code, 1, x.platform, x.level, x.parent_code, x.name_zh, x.name_en, x.materials
         FROM jsonb_to_recordset($1::jsonb) AS x(code text, platform text, level text, parent_code text, name_zh text, name_en text, materials jsonb)
        WHERE NOT EXISTS (SELECT 1 FROM categories c WHERE c.code = x.code)
       RETURNING id, code`, [JSON.stringify(categories)]);
    if (created.length === 0) return { created: 0 };
    await m.query(
      `INSERT INTO case_standards (category_id, code, name_zh, name_en, filing_condition_zh, closing_condition_zh, priority,
              clock_type, resolve_limit_seconds, resolve_limit_days, start_next_working_day, default_unit_type)
       SELECT n.id, s.code, s.name_zh, s.name_en, s.filing_condition_zh, s.closing_condition_zh, s.priority,
              s.clock_type, s.resolve_limit_seconds, s.resolve_limit_days, s.start_next_working_day, s.default_unit_type
         FROM jsonb_to_recordset($1::jsonb) AS s(category_code text, code text, name_zh text, name_en text, filing_condition_zh text,
              closing_condition_zh text, priority text, clock_type text, resolve_limit_seconds integer, resolve_limit_days numeric,
              start_next_working_day boolean, default_unit_type text)
         JOIN jsonb_to_recordset($2::jsonb) AS n(id uuid, code text) ON n.code = s.category_code`,
      [JSON.stringify(standards), JSON.stringify(created)]);
    return { created: created.length };
  });
}
