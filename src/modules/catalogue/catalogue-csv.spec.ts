import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CATALOGUE_CSV_COLUMNS, parseCatalogueCsv } from './catalogue-csv';

const HEADER = CATALOGUE_CSV_COLUMNS.join(',');
const row = (v: Partial<Record<(typeof CATALOGUE_CSV_COLUMNS)[number], string>>) => CATALOGUE_CSV_COLUMNS.map((c) => v[c] ?? '').join(',');

describe('catalogue CSV 类别导入格式', () => {
  it('groups the rows of a category and reads limits in hours or days', () => {
    const csv = [
      HEADER,
      row({ platform: 'community_governance', code: 'SJ06', level: 'major', name_zh: '扩展事件', name_en: 'Extended events' }),
      row({ platform: 'community_governance', code: 'SJ0601', level: 'minor', parent_code: 'SJ06', name_zh: '共享单车乱停放', name_en: 'Shared bikes parked badly',
        standard_code: 'found', standard_name_zh: '发现即立案', standard_name_en: 'Found', filing_condition_zh: '共享单车堆放占道', closing_condition_zh: '已清理',
        priority: 'normal', clock_type: 'working_hours', resolve_limit_hours: '2.5', default_unit_type: 'bureau' }),
      row({ code: 'SJ0601', standard_code: 'blocking', standard_name_zh: '阻断通行', standard_name_en: 'Blocking', filing_condition_zh: '完全阻断盲道',
        closing_condition_zh: '已清理', priority: 'urgent', clock_type: 'natural', resolve_limit_hours: '1' }),
      row({ platform: 'convenience_services', code: 'CS07', level: 'major', name_zh: '老年证办理', name_en: 'Senior card', materials: '居民身份证|户口簿',
        standard_code: 'standard', standard_name_zh: '一般办理', standard_name_en: 'Standard', filing_condition_zh: '申请', closing_condition_zh: '办结',
        priority: 'normal', clock_type: 'working_days', resolve_limit_days: '5', start_next_working_day: 'true' }),
    ].join('\n');
    const { categories, errors } = parseCatalogueCsv(csv);
    expect(errors).toEqual([]);
    expect(categories.map((c) => [c.code, c.line, c.standards.length])).toEqual([['SJ06', 2, 0], ['SJ0601', 3, 2], ['CS07', 5, 1]]);
    expect(categories[1]!.standards[0]).toMatchObject({ clockType: 'working_hours', resolveLimitSeconds: 9000, resolveLimitDays: null, defaultUnitType: 'bureau' });
    expect(categories[2]).toMatchObject({ materials: ['居民身份证', '户口簿'], standards: [{ resolveLimitDays: 5, resolveLimitSeconds: null, startNextWorkingDay: true }] });
  });

  it('reports every problem with its line number', () => {
    const csv = [
      HEADER,
      row({ platform: 'nowhere', code: 'X1', level: 'major', name_zh: 'x', name_en: 'x' }),
      row({ platform: 'party_building', code: 'bad code!', level: 'major', name_zh: 'x', name_en: 'x' }),
      row({ platform: 'party_building', code: 'PB09', level: 'minor', name_zh: 'x', name_en: 'x' }),
      row({ platform: 'party_building', code: 'PB10', level: 'major', name_zh: 'x', name_en: 'x', standard_code: 's', standard_name_zh: 'x',
        standard_name_en: 'x', filing_condition_zh: 'x', closing_condition_zh: 'x', priority: 'normal', clock_type: 'working_days', resolve_limit_hours: '4' }),
      row({ code: 'PB10', name_zh: 'different' }),
      row({ platform: 'party_building', code: 'PB11', level: 'major', name_zh: 'a\u0007b', name_en: 'x' }),
    ].join('\n');
    const fields = parseCatalogueCsv(csv).errors.map((e) => e.field);
    expect(fields).toEqual(expect.arrayContaining([
      'line 2: platform', 'line 3: code', 'line 4: parent_code', 'line 5: resolveLimitDays', 'line 5: resolveLimitSeconds', 'line 6: name_zh', 'line 7: name_zh',
    ]));
  });

  it('refuses unknown or missing columns and empty files', () => {
    expect(parseCatalogueCsv('code,name_zh,secret\n').errors.map((e) => e.message).join(' ')).toMatch(/unknown column "secret".*missing column platform/);
    expect(parseCatalogueCsv('').errors[0]!.field).toBe('header');
    expect(parseCatalogueCsv(HEADER).errors[0]!.message).toMatch(/no rows/);
    expect(parseCatalogueCsv(`${HEADER}\n"unterminated`).errors[0]!.field).toBe('csv');
  });
});

describe('the example in docs/catalogue.md', () => {
  it('parses without errors', () => {
    const doc = readFileSync(join(__dirname, '../../../docs/catalogue.md'), 'utf8');
    const example = /```csv\n([\s\S]*?)```/.exec(doc)![1]!;
    const { categories, errors } = parseCatalogueCsv(example);
    expect(errors).toEqual([]);
    expect(categories.map((c) => [c.code, c.standards.length])).toEqual([['SJ06', 0], ['SJ0601', 2], ['CS07', 1]]);
  });
});
