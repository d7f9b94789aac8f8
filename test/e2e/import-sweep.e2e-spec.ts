import { createApiTestApp, type ApiTestApp } from '../support/api-test-app';

/**
 * The three text imports (grid tree CSV, catalogue CSV, a calendar's holiday schedule) under malformed and hostile
 * files: broken quoting, BOMs, wrong and duplicate headers, NUL bytes, bytes that are not UTF-8, huge fields, too
 * many rows, cycles and self-parents, formulas, numbers out of range. Each answer is a 2xx or a 4xx problem+json
 * with a stable code — never a 5xx — and a refused file writes nothing.
 */
describe('import sweep: hostile files on every import 导入非法文件扫描', () => {
  let t: ApiTestApp;
  let admin: string;
  const counts = async () => (await t.ds.query(
    `SELECT (SELECT count(*) FROM grid_nodes)::int AS nodes, (SELECT count(*) FROM categories)::int AS categories,
            (SELECT count(*) FROM sla_calendar_versions)::int AS calendars`))[0];

  beforeAll(async () => {
    t = await createApiTestApp();
    admin = await t.login('demo.admin');
  });
  afterAll(async () => { await t?.close(); });

  const GRID_HEADER = 'code,parent_code,name,level,lat,lng';
  const CAT_HEADER = 'platform,code,level,parent_code,name_zh,name_en,materials,standard_code,standard_name_zh,standard_name_en,filing_condition_zh,closing_condition_zh,priority,clock_type,resolve_limit_hours,resolve_limit_days,start_next_working_day,default_unit_type';
  const CAT_ROW = 'community_governance,SJ0699,minor,SJ01,扫描类,Sweep,,found,发现即立案,Found,占道,已清理,normal,working_hours,2,,,bureau';
  /** Files that are wrong in their own way; each is sent to both CSV imports (the headers differ, the faults do not). */
  const hostileCsv = (header: string, row: string): Array<[string, string | Buffer]> => [
    ['empty', ''],
    ['header only', `${header}\n`],
    ['BOM and CRLF', `\ufeff${header}\r\n${row}\r\n`],
    ['unbalanced quote', `${header}\n"${row}\n`],
    ['quote inside a field', `${header}\n${row.replace(',', ',ab"c')}\n`],
    ['duplicate column', `${header},code\n${row},x\n`],
    ['unknown column', `${header},colour\n${row},red\n`],
    ['missing columns in a row', `${header}\n${row.split(',').slice(0, 2).join(',')}\n`],
    ['extra columns in a row', `${header}\n${row},x,y,z\n`],
    ['NUL byte', `${header}\n${row.replace(',', ',\u0000')}\n`],
    ['not UTF-8', Buffer.concat([Buffer.from(`${header}\n`), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from(`\n`)])],
    ['lone surrogate (CESU bytes)', Buffer.concat([Buffer.from(`${header}\n`), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from(`,${row}\n`)])],
    ['a 100 000-character field', `${header}\n${row.replace(',', `,${'字'.repeat(100_000)}`)}\n`],
    ['formula injection', `${header}\n${row.replace(/,[^,]*,/, ',=HYPERLINK("http://x"),')}\n`],
    ['only commas', `${header}\n${','.repeat(header.split(',').length - 1)}\n`],
    ['semicolons instead of commas', `${header.replace(/,/g, ';')}\n${row.replace(/,/g, ';')}\n`],
    ['binary (a JPEG)', Buffer.from('ffd8ffe000104a46494600010100000100010000ffd9', 'hex')],
    ['too many rows', `${header}\n${Array.from({ length: 100_001 }, () => row).join('\n')}\n`],
  ];
  const GRID_ROW = '210902001077,210902001,扫描社区,community,42.03,121.66';
  const gridFaults: Array<[string, string]> = [
    ['a node that is its own parent', `${GRID_HEADER}\n210902001077,210902001077,自环,community,,\n`],
    ['a cycle between two new nodes', `${GRID_HEADER}\n210902001078,210902001079,甲,community,,\n210902001079,210902001078,乙,grid,,\n`],
    ['latitude out of range', `${GRID_HEADER}\n210902001077,210902001,扫描,community,91,121\n`],
    ['coordinates as words', `${GRID_HEADER}\n210902001077,210902001,扫描,community,north,east\n`],
    ['half a location', `${GRID_HEADER}\n210902001077,210902001,扫描,community,42.03,\n`],
    ['the same code twice', `${GRID_HEADER}\n${GRID_ROW}\n${GRID_ROW}\n`],
    ['an existing code', `${GRID_HEADER}\n210902001,210902,站前街道,street,,\n`],
    ['a parent in another district', `${GRID_HEADER}\n210911001077,210911001,四合扫描,community,,\n`],
    ['an unknown level', `${GRID_HEADER}\n210902001077,210902001,扫描,planet,,\n`],
  ];
  const catFaults: Array<[string, string]> = [
    ['a category that is its own parent', `${CAT_HEADER}\n${CAT_ROW.replace('SJ01,', 'SJ0699,')}\n`],
    ['limit hours negative, NaN, huge', `${CAT_HEADER}\n${CAT_ROW.replace(',2,,', ',-1,,')}\n${CAT_ROW.replace('SJ0699', 'SJ0698').replace(',2,,', ',NaN,,')}\n${CAT_ROW.replace('SJ0699', 'SJ0697').replace(',2,,', ',1e308,,')}\n`],
    ['limit days with a clock of hours', `${CAT_HEADER}\n${CAT_ROW.replace(',2,,', ',,5,')}\n`],
    ['an unknown platform', `${CAT_HEADER}\n${CAT_ROW.replace('community_governance', 'moon_base')}\n`],
    ['an unknown priority and clock type', `${CAT_HEADER}\n${CAT_ROW.replace('normal,working_hours', 'asap,lunar')}\n`],
    ['second rows that disagree', `${CAT_HEADER}\n${CAT_ROW}\n${CAT_ROW.replace('扫描类', '别的名字').replace(',found,', ',other,')}\n`],
  ];

  it('answers every hostile file with a 2xx or a 4xx problem+json, and a refused file writes nothing', async () => {
    const failures: string[] = [];
    const statuses: Record<number, number> = {};
    const send = async (what: string, url: string, raw: string | Buffer, type = 'text/csv') => {
      const before = await counts();
      const res = await t.request('POST', url, { token: admin, raw, headers: { 'content-type': type } });
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      const problem = String(res.headers['content-type'] ?? '').includes('application/problem+json') && typeof res.body?.code === 'string';
      if (res.status >= 500 || (res.status >= 400 && !problem)) failures.push(`${what} → ${res.status} ${res.text.slice(0, 200)}`);
      if (res.status >= 400 && JSON.stringify(await counts()) !== JSON.stringify(before)) failures.push(`${what} → ${res.status} but something was written`);
      return res;
    };
    for (const [name, file] of [...hostileCsv(GRID_HEADER, GRID_ROW), ...gridFaults]) await send(`grid: ${name}`, '/api/v1/admin/grid-nodes/import', file);
    for (const [name, file] of [...hostileCsv(CAT_HEADER, CAT_ROW), ...catFaults]) await send(`catalogue: ${name}`, '/api/v1/admin/categories/import', file);

    // The holiday schedule is a JSON body carrying text lines (`date,kind,name_zh,name_en`).
    const [calendar] = (await t.request('GET', '/api/v1/sla/calendars', { token: admin })).body;
    const version = async () => (await t.request('GET', `/api/v1/sla/calendars/${calendar.code}`, { token: admin })).body.currentVersion;
    const scheduleFiles: Array<[string, string]> = [
      ['empty', ''], ['a date that does not exist', '2027-02-30,holiday,假日,Holiday'], ['an unknown kind', '2027-01-01,party,聚会,Party'],
      ['year 0 and 275760', '0000-01-01,holiday,零年,Zero\n275760-01-01,holiday,远年,Far'], ['too few fields', '2027-01-01'],
      ['the same date twice, both kinds', '2027-01-01,holiday,元旦,New Year\n2027-01-01,workday,调休,Make-up'], ['NUL', '2027-01-01,holiday,元\u0000旦,NY'],
      ['100 000 lines', Array.from({ length: 100_000 }, (_, i) => `2027-01-${String((i % 28) + 1).padStart(2, '0')},holiday,假,H`).join('\n')],
    ];
    for (const [name, text] of scheduleFiles) {
      await send(`schedule: ${name}`, `/api/v1/sla/calendars/${calendar.code}/schedule`, JSON.stringify({ expectedVersion: await version(), text }), 'application/json');
    }

    expect(failures).toEqual([]);
    // Not vacuous: most files are refused, each with its own 4xx.
    expect((statuses[400] ?? 0) + (statuses[409] ?? 0) + (statuses[413] ?? 0) + (statuses[404] ?? 0)).toBeGreaterThan(40);
  }, 300_000);
});
