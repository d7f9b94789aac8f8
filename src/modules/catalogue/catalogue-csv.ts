import { parse } from 'csv-parse/sync';
import { isPlatformCode } from '../platforms/platform-registry';
import type { CategoryLevel, ClockType, Priority } from './catalogue.types';
import {
  CATALOGUE_CODE, CLOCK_TYPES, LEVELS, MAX_LIMIT_DAYS, MAX_LIMIT_SECONDS, MAX_MATERIALS, PRIORITIES, UNIT_TYPES,
  standardProblems, type CategoryDraft, type StandardDraft,
} from './catalogue-rules';

/**
 * The catalogue import format (docs/catalogue.md): UTF-8 CSV with a header row naming these columns (any
 * order). One row per case standard; a category with several standards repeats its category columns (or
 * leaves them empty) on each of its rows; a category without standards has one row with the standard
 * columns empty. `materials` are separated by `|`. The limit is in hours for natural and working_hours
 * clocks, in days for working_days clocks.
 */
export const CATALOGUE_CSV_COLUMNS = [
  'platform', 'code', 'level', 'parent_code', 'name_zh', 'name_en', 'materials',
  'standard_code', 'standard_name_zh', 'standard_name_en', 'filing_condition_zh', 'closing_condition_zh',
  'priority', 'clock_type', 'resolve_limit_hours', 'resolve_limit_days', 'start_next_working_day', 'default_unit_type',
] as const;
type Column = (typeof CATALOGUE_CSV_COLUMNS)[number];
const REQUIRED: readonly Column[] = ['platform', 'code', 'level', 'name_zh', 'name_en'];
const CATEGORY_COLUMNS: readonly Column[] = ['platform', 'level', 'parent_code', 'name_zh', 'name_en', 'materials'];
const STANDARD_COLUMNS: readonly Column[] = ['standard_code', 'standard_name_zh', 'standard_name_en', 'filing_condition_zh', 'closing_condition_zh',
  'priority', 'clock_type', 'resolve_limit_hours', 'resolve_limit_days', 'start_next_working_day', 'default_unit_type'];
export const CATALOGUE_CSV_MAX_ROWS = 10_000;

const CONTROL = /\p{Cc}/u;
const TRUE = new Set(['true', '1', 'yes', '是']);
const FALSE = new Set(['', 'false', '0', 'no', '否']);

/** A parsed category with the line it was first defined on. */
export interface CsvCategory extends CategoryDraft {
  line: number;
}

type Problem = { field: string; message: string };

function text(value: string, max: number, column: string, bad: (field: string, message: string) => void): string {
  if (value.length < 1 || [...value].length > max || CONTROL.test(value)) bad(column, `1–${max} characters, no control characters / 1–${max} 个字符，不能包含控制字符`);
  return value;
}

function parseStandard(get: (c: Column) => string, bad: (field: string, message: string) => void): StandardDraft {
  const code = get('standard_code');
  if (!CATALOGUE_CODE.test(code)) bad('standard_code', 'letters, digits or _ (1–40) / 标准编码只能包含字母、数字、下划线');
  const priority = get('priority');
  if (!(PRIORITIES as readonly string[]).includes(priority)) bad('priority', `one of ${PRIORITIES.join(', ')} / 优先级无效`);
  const clockType = get('clock_type');
  if (!(CLOCK_TYPES as readonly string[]).includes(clockType)) bad('clock_type', `one of ${CLOCK_TYPES.join(', ')} / 计时方式无效`);
  const hours = get('resolve_limit_hours');
  const days = get('resolve_limit_days');
  let resolveLimitSeconds: number | null = null;
  let resolveLimitDays: number | null = null;
  if (hours !== '') {
    const h = Number(hours);
    const s = Math.round(h * 3600);
    if (!/^[0-9]+(\.[0-9]+)?$/.test(hours) || s <= 0 || s > MAX_LIMIT_SECONDS || Math.abs(h * 3600 - s) > 1e-6) {
      bad('resolve_limit_hours', 'a positive number of hours (whole seconds) / 处置时限（小时）应为正数');
    } else resolveLimitSeconds = s;
  }
  if (days !== '') {
    const d = Number(days);
    if (!/^[0-9]+(\.[0-9]{1,2})?$/.test(days) || d <= 0 || d > MAX_LIMIT_DAYS) {
      bad('resolve_limit_days', `a positive number of days (≤ ${MAX_LIMIT_DAYS}, 2 decimals) / 处置时限（工作日）应为正数`);
    } else resolveLimitDays = d;
  }
  const next = get('start_next_working_day').toLowerCase();
  if (!TRUE.has(next) && !FALSE.has(next)) bad('start_next_working_day', 'true or false / 应为 true 或 false');
  const unit = get('default_unit_type');
  if (unit !== '' && !(UNIT_TYPES as readonly string[]).includes(unit)) bad('default_unit_type', `one of ${UNIT_TYPES.join(', ')} / 单位类型无效`);
  return {
    code,
    nameZh: text(get('standard_name_zh'), 100, 'standard_name_zh', bad),
    nameEn: text(get('standard_name_en'), 200, 'standard_name_en', bad),
    filingConditionZh: text(get('filing_condition_zh'), 1000, 'filing_condition_zh', bad),
    closingConditionZh: text(get('closing_condition_zh'), 1000, 'closing_condition_zh', bad),
    priority: priority as Priority, clockType: clockType as ClockType,
    resolveLimitSeconds, resolveLimitDays, startNextWorkingDay: TRUE.has(next), defaultUnitType: unit === '' ? null : unit,
  };
}

/**
 * Parses and checks a catalogue CSV without touching the database; returns every problem found with its
 * line number, not only the first. Checks against the existing catalogue happen in the import itself.
 */
export function parseCatalogueCsv(input: string): { categories: CsvCategory[]; errors: Problem[] } {
  const errors: Problem[] = [];
  let records: string[][];
  try {
    records = parse(input.replace(/^\uFEFF/, ''), { relax_column_count: true, skip_empty_lines: true, trim: true });
  } catch (err) {
    return { categories: [], errors: [{ field: 'csv', message: (err as Error).message }] };
  }
  const header = records.shift()?.map((h) => h.toLowerCase());
  if (!header) return { categories: [], errors: [{ field: 'header', message: 'empty file / 文件为空' }] };
  const index = new Map<string, number>();
  header.forEach((h, i) => {
    if (!(CATALOGUE_CSV_COLUMNS as readonly string[]).includes(h)) errors.push({ field: 'header', message: `unknown column "${h.slice(0, 40)}" / 未知列` });
    else if (index.has(h)) errors.push({ field: 'header', message: `duplicate column ${h} / 列重复` });
    index.set(h, i);
  });
  for (const c of REQUIRED) if (!index.has(c)) errors.push({ field: 'header', message: `missing column ${c} / 缺少列 ${c}` });
  if (errors.length > 0) return { categories: [], errors };
  if (records.length === 0) return { categories: [], errors: [{ field: 'csv', message: 'no rows / 没有数据行' }] };
  if (records.length > CATALOGUE_CSV_MAX_ROWS) {
    return { categories: [], errors: [{ field: 'csv', message: `at most ${CATALOGUE_CSV_MAX_ROWS} rows per import / 每次最多导入 ${CATALOGUE_CSV_MAX_ROWS} 行` }] };
  }

  const byCode = new Map<string, CsvCategory & { columns: Map<Column, string> }>();
  records.forEach((record, i) => {
    const line = i + 2;
    const get = (c: Column): string => { const at = index.get(c); return at === undefined ? '' : (record[at] ?? ''); };
    const bad = (field: string, message: string) => errors.push({ field: `line ${line}: ${field}`, message });
    if (record.length > header.length) bad('csv', 'more values than columns / 数据列数多于表头');
    const code = get('code');
    if (!CATALOGUE_CODE.test(code)) {
      bad('code', 'letters, digits or _ (1–40) / 编码只能包含字母、数字、下划线');
      return;
    }
    let category = byCode.get(code);
    if (category) {
      // A further row of the same category: its category columns are empty or repeat the first row.
      for (const c of CATEGORY_COLUMNS) {
        const v = get(c);
        if (v !== '' && v !== category.columns.get(c)) bad(c, `differs from line ${category.line} / 与第 ${category.line} 行不一致`);
      }
    } else {
      const platform = get('platform');
      if (!isPlatformCode(platform)) bad('platform', 'unknown platform / 未知平台');
      const level = get('level');
      if (!(LEVELS as readonly string[]).includes(level)) bad('level', `one of ${LEVELS.join(', ')} / 层级无效`);
      const parentCode = get('parent_code');
      if (level === 'major' && parentCode !== '') bad('parent_code', 'a major category has no parent / 大类没有上级类别');
      if (level !== 'major' && !CATALOGUE_CODE.test(parentCode)) bad('parent_code', 'required for minor and detail categories / 小类、细类须填写上级编码');
      if (parentCode === code) bad('parent_code', 'a category cannot be its own parent / 上级不能是自身');
      const materials = get('materials') === '' ? [] : get('materials').split('|').map((m) => m.trim());
      if (materials.length > MAX_MATERIALS) bad('materials', `at most ${MAX_MATERIALS} / 最多 ${MAX_MATERIALS} 项`);
      if (new Set(materials).size !== materials.length) bad('materials', 'duplicate material / 材料重复');
      for (const m of materials) text(m, 100, 'materials', bad);
      category = {
        line, code, platform: platform as CsvCategory['platform'], level: level as CategoryLevel, parentCode: parentCode === '' ? null : parentCode,
        nameZh: text(get('name_zh'), 100, 'name_zh', bad), nameEn: text(get('name_en'), 200, 'name_en', bad),
        materials, standards: [], columns: new Map(CATEGORY_COLUMNS.map((c) => [c, get(c)])),
      };
      byCode.set(code, category);
    }
    if (STANDARD_COLUMNS.some((c) => get(c) !== '')) {
      const standard = parseStandard(get, bad);
      category.standards.push(standard);
      for (const p of standardProblems(category.standards)) {
        // Only the problems of the standard this line added.
        if (p.field.startsWith(`standards[${category.standards.length - 1}]`) || p.field === 'standards') {
          bad(p.field.replace(/^standards\[\d+\]\./, ''), p.message);
        }
      }
    }
  });
  const categories = [...byCode.values()].map(({ columns: _columns, ...c }) => c);
  return { categories, errors };
}
