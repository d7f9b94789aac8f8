import ExcelJS from 'exceljs';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { DEMO_PASSWORD } from '../../src/database/seeds/demo-city';
import { hashPassword } from '../../src/modules/auth/password.service';
import { flatten } from '../../src/modules/reports/report-export';
import { RollupService } from '../../src/modules/reports/rollup.service';
import { NO_UNIT_LABEL, grainFor } from '../../src/modules/reports/reports.repository';
import { shiftMonths } from '../../src/modules/reports/reports.service';
import { armResolveClock, firingsOf, inProgressTicket, waitFor } from '../support/sla';
import { createTestApp, type TestApp } from '../support/test-app';
import { MANHOLE, codeIds, fileTicket, mustAct } from '../support/tickets';
import { foldAll, loadFixture, planTicket, rng, writeEvents, writeTickets } from './reports-history';

const ZHANQIAN = '210900.210902.210902001'; // 站前街道
const HAIZHOU = '210900.210902'; // 海州区 itself (tickets filed at district level)
const SIHE = '210900.210911.210911001'; // 四合街道 (细河区)

describe('reports for officials 统计报表', () => {
  let t: TestApp;
  let ids: Record<string, string>;
  let grid: string;
  let dispatcher: string;
  let handler: string;
  let official: string;
  let streetOfficial: string;
  let today: string;
  let closedId: string;
  let month: { from: string; to: string };

  const get = (token: string, path: string) => t.request('GET', `/api/v1/reports/${path}`, { token });
  const fold = () => foldAll(t.ds, t.app.get(RollupService));

  beforeAll(async () => {
    t = await createTestApp();
    ids = await codeIds(t);
    [grid, dispatcher, handler, official] = await Promise.all(['demo.grid', 'demo.dispatcher', 'demo.handler', 'demo.official'].map((u) => t.login(u)));
    await t.ds.query(
      `INSERT INTO users (username, display_name, role, scope_node_id, password_hash) VALUES ('street.official', '站前街道领导', 'official', $1, $2)`,
      [ids['210902001'], await hashPassword(DEMO_PASSWORD)]);
    streetOfficial = await t.login('street.official');
    today = (await t.ds.query(`SELECT to_char((now() AT TIME ZONE 'Asia/Shanghai')::date, 'YYYY-MM-DD') AS d`))[0].d;
    month = { from: `${today.slice(0, 8)}01`, to: today };

    // Two manhole covers through the real workflow: one closed, one still open at the unit.
    const a = (await fileTicket(t, grid, MANHOLE)).body;
    const b = (await fileTicket(t, grid, { ...MANHOLE, title: '电务小区2号楼井盖松动', standardCode: 'damaged' })).body;
    for (const id of [a.id, b.id]) {
      await mustAct(t, dispatcher, id, 'register');
      await mustAct(t, dispatcher, id, 'dispatch', { unitId: ids['FX-SZSS'] });
    }
    await mustAct(t, handler, a.id, 'sign');
    await mustAct(t, handler, a.id, 'resolve', { note: '已更换' });
    await mustAct(t, grid, a.id, 'verify', { passed: true, note: '核查通过' });
    closedId = a.id;

    // Synthetic history elsewhere: 海州区 itself and 四合街道 (细河区), this month and in earlier periods.
    const fx = await loadFixture(t.ds);
    const elsewhere = { ...fx, nodes: fx.nodes.filter((n) => n.path === HAIZHOU || n.path.startsWith(SIHE)) };
    const r = rng(42);
    const now = Date.now();
    const monthStart = Date.parse(`${month.from}T00:00:00+08:00`);
    const plans = [
      ...Array.from({ length: 12 }, () => planTicket(r, elsewhere, monthStart - 30 * 86_400_000, randomUUID())),
      ...Array.from({ length: 12 }, () => planTicket(r, elsewhere, monthStart - 365 * 86_400_000, randomUUID())),
    ].filter((p) => p.events[p.events.length - 1]!.atMs < now);
    await writeTickets(t.ds, plans, 7);
    await writeEvents(t.ds, plans, 0, now);
  });
  afterAll(async () => { await t.close(); });

  it('the scheduled rollup job folds new events within seconds, and every report shows its staleness', async () => {
    let body: any;
    for (let i = 0; i < 50; i++) {
      body = (await get(official, `rates?from=${month.from}&to=${month.to}&groupBy=street`)).body;
      if (body.rollupLagMs === 0 && body.rows.some((row: any) => row.group === ZHANQIAN)) break;
      await new Promise((res) => setTimeout(res, 500));
    }
    expect(body.rollupLagMs).toBe(0);
    expect(Date.parse(body.asOf)).toBeGreaterThan(0);
    const zq = body.rows.find((row: any) => row.group === ZHANQIAN);
    expect(zq).toMatchObject({ label: '站前街道', counts: { filed: 2, valid: 2, dispatched: 2, resolved: 1, closed: 1, returned: 0 } });

    // A new event makes the rollup stale until the next fold.
    await mustAct(t, handler, (await t.ds.query(`SELECT id FROM tickets WHERE title = '电务小区2号楼井盖松动'`))[0].id, 'sign');
    // Either the sign is not folded yet and the lag says so, or it is folded already (a scheduled fold ran).
    const stale = (await get(official, `durations?from=${month.from}&to=${month.to}&groupBy=street`)).body;
    const signs = stale.rows.find((row: any) => row.group === ZHANQIAN).metrics.dispatchToSign.count;
    expect(stale.rollupLagMs > 0 ? signs : 2).toBe(stale.rollupLagMs > 0 ? 1 : signs);
    await fold();
    expect((await get(official, 'rates')).body.rollupLagMs).toBe(0);
  }, 40_000);

  it('durations: count, mean and percentiles per street, natural and business time', async () => {
    await fold();
    const res = await get(official, `durations?from=${month.from}&to=${month.to}&groupBy=street`);
    expect(res.status).toBe(200);
    expect(res.body.maxRelativeError).toBeLessThan(0.01);
    const zq = res.body.rows.find((row: any) => row.group === ZHANQIAN);
    expect(zq.metrics.fileToDispatch.count).toBe(2);
    expect(zq.metrics.dispatchToSign.count).toBe(2);
    expect(zq.metrics.dispatchToResolve.count).toBe(1);
    expect(zq.metrics.fileToClose.count).toBe(1);
    const events = (await t.request('GET', `/api/v1/tickets/${closedId}/events`, { token: official })).body;
    const exact = (Date.parse(events.find((e: any) => e.action === 'verify').at) - Date.parse(events[0].at)) / 1000;
    expect(Math.abs(zq.metrics.fileToClose.p50Seconds - exact)).toBeLessThanOrEqual(exact * 0.01 + 0.001);
    expect(zq.metrics.fileToClose.meanSeconds).toBeCloseTo(exact, 2);
    expect(zq.metrics.fileToCloseBusiness.count).toBe(1);
    expect(zq.metrics.fileToCloseBusiness.p50Seconds).toBeLessThanOrEqual(zq.metrics.fileToClose.p50Seconds + 0.001);
    for (const g of ['platform', 'category', 'district', 'community', 'grid', 'unit', 'channel', 'day', 'week', 'month']) {
      const r = await get(official, `durations?from=${month.from}&to=${month.to}&groupBy=${g}`);
      expect(r.status).toBe(200);
      expect(r.body.groupBy).toBe(g);
      expect(r.body.rows.reduce((s: number, row: any) => s + row.metrics.fileToDispatch.count, 0))
        .toBe(res.body.rows.reduce((s: number, row: any) => s + row.metrics.fileToDispatch.count, 0));
    }
    const unit = await get(official, `durations?from=${month.from}&to=${month.to}&groupBy=unit&unitId=${ids['FX-SZSS']}`);
    expect(unit.body.rows.map((row: any) => row.label)).toEqual(['阜新市市政设施服务中心']);
  });

  it('rates: the 结案率 family, the 12345 trio and the composite score, with month-on-month and year-on-year', async () => {
    const res = await get(dispatcher, `rates?from=${month.from}&to=${month.to}&groupBy=street`);
    expect(res.status).toBe(200);
    expect(res.body.scoreVersion).toMatchObject({ basicSatisfiedWeight: 0.9, redBelow: 60, commendFrom: 90 });
    const zq = res.body.rows.find((row: any) => row.group === ZHANQIAN);
    expect(zq.rates.closeRate).toBe(0.5);
    expect(zq.rates.accurateDispatchRate).toBe(1);
    expect(zq.rates.returnRate).toBe(0);
    expect(zq.rates.onTimeResolveRate).toBe(1);
    expect(zq.rates.score).not.toBeNull();
    // Synthetic history a month and a year back in 海州区 / 四合 gives comparisons there.
    const all = await get(official, `rates?from=${month.from}&to=${month.to}&groupBy=district`);
    expect(all.body.rows.some((row: any) => row.mom !== null || row.yoy !== null)).toBe(true);
    const timeGrouped = await get(official, `rates?from=${month.from}&to=${month.to}&groupBy=day`);
    expect(timeGrouped.body.rows.every((row: any) => row.mom === null)).toBe(true);
  });

  it('backlog: open tickets by age bucket and SLA colour', async () => {
    const res = await get(official, 'backlog?groupBy=street');
    expect(res.status).toBe(200);
    const zq = res.body.rows.find((row: any) => row.group === ZHANQIAN);
    expect(zq.open).toBe(1);
    expect(zq.byAge.lt1d).toBe(1);
    expect(zq.byColour.green + zq.byColour.blue + zq.byColour.yellow + zq.byColour.red + zq.byColour.none).toBe(1);
  });

  it('rankings: streets by composite score with naming lists; only rankable groupings', async () => {
    await fold();
    const res = await get(official, `rankings?from=${month.from}&to=${month.to}&groupBy=street`);
    expect(res.status).toBe(200);
    expect(res.body.rows[0].rank).toBe(1);
    const scores = res.body.rows.map((row: any) => row.score ?? -1);
    expect(scores).toEqual([...scores].sort((a: number, b: number) => b - a));
    for (const row of res.body.rows) {
      if (row.score !== null && row.score < 60) expect(row.list).toBe('red');
      if (row.score !== null && row.score >= 90) expect(row.list).toBe('commended');
    }
    // Tickets filed at 海州区 itself form a district-level group in the street report, not a street to rank.
    const since = `from=${shiftMonths(month.from, -1)}&to=${month.to}`;
    const streets = (await get(official, `rates?${since}&groupBy=street`)).body.rows.map((row: any) => row.group);
    expect(streets).toContain(HAIZHOU);
    const ranked = (await get(official, `rankings?${since}&groupBy=street`)).body.rows.map((row: any) => row.group);
    expect(ranked).not.toContain(HAIZHOU);
    expect(ranked.length).toBe(streets.length - 1);
    expect(ranked.every((g: string) => g.split('.').length === 3)).toBe(true);
    const units = await get(official, `rankings?from=${month.from}&to=${month.to}&groupBy=unit`);
    expect(units.status).toBe(200);
    expect(units.body.rows.map((row: any) => row.group)).not.toContain('');
    const bad = await get(official, 'rankings?groupBy=platform');
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('REPORT_GROUP_NOT_RANKABLE');
  });

  it('scoping: a street official sees only their street; a district official not the other district', async () => {
    const from = `${Number(today.slice(0, 4)) - 9}-01-01`;
    const street = await get(streetOfficial, `rates?from=${from}&to=${today}&groupBy=street`);
    expect(street.status).toBe(200);
    expect(street.body.rows.map((row: any) => row.group)).toEqual([ZHANQIAN]);
    const streetDistricts = await get(streetOfficial, `durations?from=${from}&to=${today}&groupBy=district`);
    expect(streetDistricts.body.rows.map((row: any) => row.group)).toEqual([HAIZHOU]);
    expect(streetDistricts.body.rows[0].metrics.fileToDispatch.count).toBe(2); // only 站前's own tickets, not 海州区-level ones
    const district = await get(official, `rates?from=${from}&to=${today}&groupBy=street`);
    const groups = district.body.rows.map((row: any) => row.group);
    expect(groups).toContain(ZHANQIAN);
    expect(groups.some((g: string) => g.startsWith('210900.210911'))).toBe(false);
    for (const path of ['backlog', 'rankings']) {
      const r = await get(streetOfficial, `${path}?from=${from}&to=${today}&groupBy=street`);
      expect(r.body.rows.every((row: any) => row.group === ZHANQIAN)).toBe(true);
    }
    const outside = await get(streetOfficial, `rates?gridNodeId=${ids['210911001']}`);
    expect(outside.status).toBe(404);
    expect(outside.body.code).toBe('REPORT_NODE_OUT_OF_SCOPE');
    // Below the grid (a building): the rollups cannot answer it — a 422 for every report, never a 500.
    for (const path of ['durations', 'rates', 'rankings', 'backlog']) {
      const building = await get(streetOfficial, `${path}?gridNodeId=${ids['210902001001001001']}`);
      expect({ path, status: building.status, code: building.body.code }).toEqual({ path, status: 422, code: 'REPORT_BELOW_GRID' });
    }
  });

  it('refuses roles without ReportRead and bad input with 4xx problems', async () => {
    const admin = await t.login('demo.admin');
    for (const token of [admin, handler, grid]) expect((await get(token, 'rates')).status).toBe(403);
    expect((await t.request('GET', '/api/v1/reports/rates')).status).toBe(401);
    for (const q of ['from=2026-02-30', 'from=2026-05-01&to=2026-04-01', 'groupBy=planet', 'format=pdf', 'unitId=x', 'from=1990-01-01&to=2026-01-01', 'from=0050-03-15&to=0050-03-20', "platform=a'b", 'nonsense=1']) {
      const r = await get(official, `durations?${q}`);
      expect([r.status, q]).toEqual([400, q]);
      expect(String(r.headers['content-type'])).toContain('application/problem+json');
    }
  });

  it('exports CSV and XLSX streams with the same rows', async () => {
    const q = `from=${month.from}&to=${month.to}&groupBy=street`;
    const json = (await get(official, `rates?${q}`)).body;
    const csv = await get(official, `rates?${q}&format=csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.headers['content-disposition']).toContain('.csv');
    expect(csv.headers['x-rollup-lag-ms']).toBeDefined();
    const lines = csv.text.replace(/^\uFEFF/, '').trim().split('\r\n');
    expect(lines).toHaveLength(json.rows.length + 1);
    const header = lines[0]!.split(',');
    expect(header).toEqual(expect.arrayContaining(['group', 'label', 'counts.filed', 'rates.closeRate', 'rates.score']));
    const zqLine = lines.find((l) => l.startsWith(ZHANQIAN))!.split(',');
    expect(zqLine[header.indexOf('label')]).toBe('站前街道');
    expect(zqLine[header.indexOf('counts.filed')]).toBe('2');

    const fastify = t.app.getHttpAdapter().getInstance();
    const xlsx = await fastify.inject({ method: 'GET', url: `/api/v1/reports/durations?${q}&format=xlsx`, headers: { authorization: `Bearer ${official}` } });
    expect(xlsx.statusCode).toBe(200);
    expect(xlsx.headers['content-type']).toContain('spreadsheetml');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(xlsx.rawPayload as unknown as ExcelJS.Buffer);
    const sheet = wb.worksheets[0]!;
    const durations = (await get(official, `durations?${q}`)).body;
    expect(sheet.rowCount).toBe(durations.rows.length + 1);
    const head = (sheet.getRow(1).values as unknown[]).slice(1);
    expect(head).toEqual(expect.arrayContaining(['group', 'metrics.fileToClose.p95Seconds']));
    const groups = [];
    for (let i = 2; i <= sheet.rowCount; i++) groups.push(sheet.getRow(i).getCell(head.indexOf('group') + 1).value);
    expect(groups).toEqual(durations.rows.map((row: any) => row.group));

    const backlogCsv = await get(official, 'backlog?format=csv&groupBy=street');
    expect(backlogCsv.status).toBe(200);
    expect(backlogCsv.text).toContain('byColour.red');

    // The header is the report's columns: the rates CSV has the JSON rows' fields in their order (label second), and an
    // empty report (a period with no tickets) still has its header line, in CSV and XLSX.
    expect(header.slice(0, 3)).toEqual(['group', 'label', 'counts.filed']);
    expect(header).toEqual(Object.keys(flatten(json.rows[0], '', {}, { mom: 'rates', yoy: 'rates' })));
    expect(head).toEqual(Object.keys(flatten(durations.rows[0], '', {}, { mom: 'metrics', yoy: 'metrics' })));
    expect(Object.keys(json.rows[0]).slice(0, 4)).toEqual(['group', 'label', 'counts', 'rates']);
    const empty = 'from=2001-01-01&to=2001-01-31&groupBy=street';
    for (const report of ['backlog', 'rates', 'durations', 'rankings']) {
      expect([report, (await get(official, `${report}?${empty}`)).body.rows]).toEqual([report, []]);
      const lines = (await get(official, `${report}?${empty}&format=csv`)).text.replace(/^\uFEFF/, '').split('\r\n');
      expect([report, lines.length, lines[1]]).toEqual([report, 2, '']);
      expect([report, lines[0]!.split(',').slice(0, 2)]).toEqual([report, report === 'rankings' ? ['rank', 'group'] : ['group', 'label']]);
      const file = await fastify.inject({ method: 'GET', url: `/api/v1/reports/${report}?${empty}&format=xlsx`, headers: { authorization: `Bearer ${official}` } });
      const book = new ExcelJS.Workbook();
      await book.xlsx.load(file.rawPayload as unknown as ExcelJS.Buffer);
      expect([report, book.worksheets[0]!.rowCount, (book.worksheets[0]!.getRow(1).values as unknown[]).slice(1).join(',')]).toEqual([report, 1, lines[0]]);
    }
    const emptyBacklog = (await get(official, `backlog?${empty}&format=csv`)).text;
    expect(emptyBacklog).toContain('byColour.red');

    // Every row keeps its 环比/同比 columns, whether or not the first group had data in those periods.
    for (const [report, column] of [['durations', 'mom.fileToClose.p50Seconds'], ['rates', 'yoy.closeRate']] as const) {
      const r = await get(official, `${report}?from=${month.from}&to=${month.to}&groupBy=street&format=csv`);
      const head = r.text.replace(/^\uFEFF/, '').split('\r\n')[0]!.split(',');
      expect(head).toContain(column);
      expect(head).not.toContain('mom');
    }
  });

  it('time groupings: each month compares with the month before and the same month a year before', async () => {
    await fold();
    const prev = shiftMonths(month.from, -1);
    const twelve = shiftMonths(month.from, -12);
    const durations = (await get(official, `durations?from=${prev}&to=${month.to}&groupBy=month`)).body;
    const thisMonth = durations.rows.find((r: any) => r.group === month.from.slice(0, 7));
    const lastMonth = durations.rows.find((r: any) => r.group === prev.slice(0, 7));
    expect(thisMonth && lastMonth).toBeTruthy();
    expect(thisMonth.mom).toEqual(lastMonth.metrics);
    const yearAgo = (await get(official, `durations?from=${twelve}&to=${shiftMonths(month.to, -12)}&groupBy=month`)).body.rows
      .find((r: any) => r.group === twelve.slice(0, 7));
    expect(thisMonth.yoy).toEqual(yearAgo?.metrics ?? null);
    const rates = (await get(official, `rates?from=${prev}&to=${month.to}&groupBy=month`)).body;
    const r1 = rates.rows.find((r: any) => r.group === month.from.slice(0, 7));
    expect(r1.mom).toEqual(rates.rows.find((r: any) => r.group === prev.slice(0, 7)).rates);
  });

  it('backlog colours are the SLA engine\'s: thresholds fired on the live clocks, red once past the deadline', async () => {
    const admin = await t.login('demo.admin');
    const { id } = await inProgressTicket(t, { grid, dispatcher, handler }, ids['FX-SZSS']!, { title: '电务小区5号楼井盖缺失' });
    await fold();
    const colours = async () => (await get(official, `backlog?groupBy=street`)).body.rows.find((r: any) => r.group === ZHANQIAN).byColour;
    const before = await colours();
    // 4 h limit, 3 s left: the 50 % 催办 and 80 % 预警 thresholds are past and fire at once (yellow), the breach in 3 s.
    await armResolveClock(t, admin, id, 4 * 3600, 3);
    await waitFor('warning fired', async () => (await firingsOf(t, id)).some((f) => f.threshold === 'warning'));
    const yellow = await colours();
    expect(yellow.yellow).toBe(before.yellow + 1);
    expect(yellow.green + yellow.none).toBe(before.green + before.none - 1);
    await waitFor('breach fired', async () => (await firingsOf(t, id)).some((f) => f.threshold === 'breach'));
    const red = await colours();
    expect(red.red).toBe(before.red + 1);
    expect(red.yellow).toBe(before.yellow);
  });

  it('a category filter takes the category with everything below it; category, platform and channel rows have names', async () => {
    await fold();
    const q = `from=${month.from}&to=${month.to}&groupBy=category`;
    const leaf = (await get(official, `durations?${q}&categoryCode=0101`)).body.rows;
    const major = (await get(official, `durations?${q}&categoryCode=01`)).body.rows;
    expect(leaf.length).toBeGreaterThan(0);
    expect(major.map((r: any) => r.group)).toEqual(expect.arrayContaining(leaf.map((r: any) => r.group)));
    expect(major.every((r: any) => r.group.startsWith('01'))).toBe(true);
    expect(leaf.find((r: any) => r.group === '0101').label).toBe('上水井盖');
    const unknown = await get(official, `durations?${q}&categoryCode=9999`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('REPORT_CATEGORY_NOT_FOUND');
    const platforms = (await get(official, `rates?from=${month.from}&to=${month.to}&groupBy=platform`)).body.rows;
    expect(platforms.find((r: any) => r.group === 'community_governance').label).toBe('社区治理');
    const channels = (await get(official, `rates?from=${month.from}&to=${month.to}&groupBy=channel`)).body.rows;
    expect(channels.find((r: any) => r.group === 'patrol').label).toBe('网格巡查');
  });

  it('score versions: city admins add one for a coming period; each period, comparisons included, is scored with its own', async () => {
    await fold();
    const admin = await t.login('demo.admin');
    await t.ds.query(
      `INSERT INTO users (username, display_name, role, scope_node_id, password_hash) VALUES ('district.admin', '海州区管理员', 'admin', $1, $2)`,
      [ids['210902'], await hashPassword(DEMO_PASSWORD)]);
    const districtAdmin = await t.login('district.admin');
    const body = { effectiveFrom: today, weights: { onTimeCloseRate: 2, satisfactionRate: 1 }, basicSatisfiedWeight: 0.8, redBelow: 50, commendFrom: 85, note: '2027 考核方案' };
    const post = (token: string, b: unknown) => t.request('POST', '/api/v1/reports/score-versions', { token, body: b });

    expect((await post(official, body)).status).toBe(403);
    const district = await post(districtAdmin, body);
    expect([district.status, district.body.code]).toEqual([403, 'CITY_SCOPE_REQUIRED']);
    for (const [bad, status] of [
      [{ ...body, effectiveFrom: shiftMonths(today, -1) }, 422], [{ ...body, redBelow: 90 }, 422], [{ ...body, weights: { closeRate: 0 } }, 422],
      [{ ...body, weights: { planet: 1 } }, 400], [{ ...body, basicSatisfiedWeight: 2 }, 400], [{ ...body, effectiveFrom: '2026-02-30' }, 422],
    ] as const) {
      const r = await post(admin, bad);
      expect([r.status, JSON.stringify(bad)]).toEqual([status, JSON.stringify(bad)]);
      expect(String(r.headers['content-type'])).toContain('application/problem+json');
    }
    expect((await t.request('GET', '/api/v1/reports/score-versions', { token: official })).body).toHaveLength(1);
    const created = await post(admin, body);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ effectiveFrom: today, weights: body.weights, redBelow: 50, commendFrom: 85 });
    expect((await post(admin, body)).body.code).toBe('REPORT_SCORE_VERSION_EXISTS');
    const versions = (await t.request('GET', '/api/v1/reports/score-versions', { token: official })).body;
    expect(versions.map((v: any) => v.effectiveFrom)).toEqual(['2000-01-01', today]);
    const todays = (await get(official, `rates?from=${today}&to=${today}&groupBy=street`)).body;
    expect(todays.scoreVersion).toMatchObject({ effectiveFrom: today, weights: body.weights, basicSatisfiedWeight: 0.8 });
    // Audited like every state-changing request (written just after the response).
    await waitFor('audit entry', async () => (await t.ds.query(
      `SELECT 1 FROM audit_log WHERE method = 'POST' AND path LIKE '/api/v1/reports/score-versions%' AND result = 'success' AND actor_username = 'demo.admin'`)).length === 1);

    // A month scored with a version of its own; its 环比 month with the version in force then.
    await t.ds.query(`INSERT INTO report_score_versions (effective_from, weights, basic_satisfied_weight, red_below, commend_from) VALUES ($1, '{"closeRate": 1}', 0.9, 60, 90)
       ON CONFLICT (effective_from) DO UPDATE SET weights = excluded.weights, basic_satisfied_weight = 0.9, red_below = 60, commend_from = 90`, [month.from]);
    const prev = { from: shiftMonths(month.from, -1), to: shiftMonths(month.to, -1) };
    const now = (await get(official, `rates?from=${month.from}&to=${month.to}&groupBy=district`)).body;
    const before = (await get(official, `rates?from=${prev.from}&to=${prev.to}&groupBy=district`)).body;
    expect(now.scoreVersion.weights).toEqual({ closeRate: 1 });
    expect(before.scoreVersion.effectiveFrom).toBe('2000-01-01');
    let compared = 0;
    for (const row of now.rows) {
      if (row.rates.closeRate !== null) expect(row.rates.score).toBeCloseTo(100 * row.rates.closeRate, 6);
      const then = before.rows.find((r: any) => r.group === row.group);
      if (then) { expect(row.mom.score).toBe(then.rates.score); compared++; }
    }
    expect(compared).toBeGreaterThan(0);
    // Grouped by month across the change, each month is scored with its own version (not the one of `from`).
    const byMonth = (await get(official, `rates?from=${prev.from}&to=${month.to}&groupBy=month`)).body;
    expect(byMonth.scoreVersion.effectiveFrom).toBe('2000-01-01');
    const alone = async (m: { from: string; to: string }) => (await get(official, `rates?from=${m.from}&to=${m.to}&groupBy=month`)).body.rows[0].rates.score;
    const rowOf = (m: { from: string }) => byMonth.rows.find((r: any) => r.group === m.from.slice(0, 7));
    expect(rowOf(month).rates.score).toBe(await alone(month));
    expect(rowOf(prev).rates.score).toBe(await alone(prev));
    if (rowOf(month).rates.closeRate !== null) expect(rowOf(month).rates.score).toBeCloseTo(100 * rowOf(month).rates.closeRate, 6);
  });

  it('business time follows the working calendar of the ticket\'s district, as an admin has it now', async () => {
    const fx = await loadFixture(t.ds);
    const node = fx.nodes.find((n) => n.path === `${ZHANQIAN}.210902001002`)!; // a community of 站前街道 (海州区)
    const at = (hm: string) => Date.parse(`2026-03-10T${hm}:00+08:00`); // a Tuesday, a working day nationally
    const unitId = fx.units[0]!;
    const plan = {
      ...planTicket(rng(7), { ...fx, nodes: [node] }, at('09:00'), randomUUID()), unitId, dispatchMs: at('09:30'), deadlineMs: at('17:00'), callback: null,
      events: [
        { action: 'file', to: 'reported', atMs: at('09:00') }, { action: 'register', to: 'registered', atMs: at('09:10') },
        { action: 'dispatch', to: 'dispatched', atMs: at('09:30'), data: { unitId } }, { action: 'sign', to: 'in_progress', atMs: at('10:00') },
        { action: 'resolve', to: 'resolved', atMs: at('11:00') },
      ],
    };
    await writeTickets(t.ds, [plan], 90);
    await writeEvents(t.ds, [plan], 0, Date.now());
    // History written behind the fold's cursor: fold the whole log again (idempotent), as a rebuild would.
    await t.ds.query(`UPDATE report_cursor SET last_at = '-infinity', last_id = 0 WHERE id = 1`);
    await fold();
    const metrics = async () => (await get(official, `durations?from=2026-03-10&to=2026-03-10&groupBy=district&gridNodeId=${node.id}`))
      .body.rows[0].metrics as Record<string, { count: number; p50Seconds: number }>;
    const before = await metrics();
    expect(before.dispatchToResolve!.count).toBe(1);
    expect(Math.abs(before.dispatchToResolve!.p50Seconds - 5400)).toBeLessThanOrEqual(54);
    expect(Math.abs(before.dispatchToResolveBusiness!.p50Seconds - 5400)).toBeLessThanOrEqual(54); // 09:30–11:00, all working time

    // 海州区 closes its offices that day (a local closure in a district calendar under the national one).
    const [district] = await t.ds.query(`SELECT id FROM grid_nodes WHERE path = $1`, [HAIZHOU]);
    const [root] = await t.ds.query(`SELECT code FROM sla_calendars WHERE parent_code IS NULL`);
    await t.ds.query(`INSERT INTO sla_calendars (code, parent_code, grid_node_id, current_version) VALUES ('haizhou', $1, $2, 1)`, [root.code, district.id]);
    await t.ds.query(`INSERT INTO sla_calendar_versions (code, version, definition, note) VALUES ('haizhou', 1, $1, 'reports test')`,
      [JSON.stringify({ code: 'haizhou', version: 1, parentCode: root.code, holidays: [], workdays: [], closures: [{ from: '2026-03-10T00:00:00+08:00', to: '2026-03-11T00:00:00+08:00', note: '停电闭馆' }] })]);
    // The ticket is folded again with its next event.
    await t.ds.query(
      `INSERT INTO ticket_events (ticket_id, filed_at, seq, action, actor_role, from_status, to_status, note, data)
       SELECT id, created_at, 6, 'supervise', 'system', 'resolved', 'resolved', '督办', '{}' FROM tickets WHERE id = $1`, [plan.id]);
    await fold();
    const after = await metrics();
    expect(after.dispatchToResolve!.p50Seconds).toBe(before.dispatchToResolve!.p50Seconds);
    expect(after.dispatchToResolveBusiness!).toMatchObject({ count: 1, p50Seconds: 0 });
  });

  it('the fold never passes the start of a transaction still open, even one that has written nothing yet', async () => {
    const db = new Client({ connectionString: t.config.databaseUrl });
    await db.connect();
    try {
      await fold();
      await db.query('BEGIN');
      const t0: string = (await db.query(`SELECT now()::text AS t0`)).rows[0].t0; // no xid yet: nothing written
      const filed = (await fileTicket(t, grid, { ...MANHOLE, title: '水泥厂宿舍井盖缺失' })).body;
      // Fold what it can (each batch waits for the cursor lock): it must stop short of the open transaction's start.
      const rollups = t.app.get(RollupService);
      for (let r = await rollups.foldOnce(5000, true); r.more; r = await rollups.foldOnce(5000, true)) { /* next batch */ }
      const behind = await t.ds.query(`SELECT last_at < $1::timestamptz AS ok FROM report_cursor WHERE id = 1`, [t0]);
      expect(behind[0].ok).toBe(true);
      // The open transaction now appends an event, stamped with its own start (before the filing's events).
      const [late] = (await db.query(
        `INSERT INTO ticket_events (ticket_id, filed_at, seq, action, actor_id, actor_role, from_status, to_status, note, data)
         SELECT t.id, t.created_at, (SELECT max(seq) + 1 FROM ticket_events WHERE ticket_id = $1), 'supervise', NULL, 'system', 'reported', 'reported', '督办', '{}'
           FROM tickets t WHERE t.id = $1
         RETURNING id::text, at::text`, [filed.id])).rows;
      expect(late.at).toBe(t0);
      await db.query('COMMIT');
      await fold();
      const unfolded = await t.ds.query(
        `SELECT count(*)::int AS n FROM ticket_events e, report_cursor c WHERE c.id = 1 AND (e.at, e.id) > (c.last_at, c.last_id)`);
      expect(unfolded[0].n).toBe(0);
      const facts = await t.ds.query(`SELECT count(*)::int AS n FROM report_ticket_facts WHERE ticket_id = $1`, [filed.id]);
      expect(facts[0].n).toBe(1);
    } finally {
      await db.query('ROLLBACK').catch(() => undefined);
      await db.end();
    }
  });
  it('by unit, tickets never dispatched form a group of their own with a label, on the day and the month grains', async () => {
    const filed = (await fileTicket(t, grid, { ...MANHOLE, title: '重复上报，作废' })).body;
    await mustAct(t, dispatcher, filed.id, 'void', { note: '重复上报' });
    await fold();
    const end = new Date(Date.UTC(Number(today.slice(0, 4)), Number(today.slice(5, 7)), 0)).toISOString().slice(0, 10);
    expect(grainFor({ scopePath: '210900', from: month.from, to: end, groupBy: 'unit' })).toBe('month_unit');
    for (const [from, to] of [[month.from, end], [today, today]]) {
      const res = await get(official, `rates?from=${from}&to=${to}&groupBy=unit`);
      expect(res.status).toBe(200);
      expect(res.body.rows.every((row: any) => typeof row.label === 'string' && row.label.length > 0)).toBe(true);
      expect(res.body.rows.find((row: any) => row.group === '')).toMatchObject({ label: NO_UNIT_LABEL });
    }
  });
  it('by unit, 退单率 counts the unit that sent a ticket back, not the unit it went to next', async () => {
    const unitRow = async (unitId: string, from: string, to: string) => {
      const res = await get(official, `rates?from=${from}&to=${to}&groupBy=unit`);
      expect(res.status).toBe(200);
      return res.body.rows.find((row: any) => row.group === unitId) ?? { counts: { unit_dispatched: 0, unit_returned: 0, returned: 0 }, rates: {} };
    };
    const end = new Date(Date.UTC(Number(today.slice(0, 4)), Number(today.slice(5, 7)), 0)).toISOString().slice(0, 10);
    const [szss, cgj] = [ids['FX-SZSS']!, ids['FX-CGJ']!];
    const filed = (await fileTicket(t, grid, { ...MANHOLE, title: '路灯井盖松动，非本单位职责' })).body;
    await mustAct(t, dispatcher, filed.id, 'register');
    await mustAct(t, dispatcher, filed.id, 'dispatch', { unitId: szss });
    await fold();
    // The day grain (today) and the month_unit grain (the whole month) must agree.
    for (const [from, to] of [[today, today], [month.from, end]] as const) {
      const before = { szss: await unitRow(szss, from, to), cgj: await unitRow(cgj, from, to) };
      expect(before.szss.counts.unit_dispatched).toBeGreaterThan(0);
      if (from === today) {
        await mustAct(t, handler, filed.id, 'return', { reason: 'wrong_function', note: '路灯井盖归城管局' });
        await mustAct(t, dispatcher, filed.id, 'review-return', { approved: true, unitId: cgj });
        await fold();
      }
      const after = { szss: await unitRow(szss, from, to), cgj: await unitRow(cgj, from, to) };
      const delta = (k: 'szss' | 'cgj', c: string): number => after[k].counts[c] - (from === today ? before[k].counts[c] : after[k].counts[c]);
      if (from === today) {
        // 市政设施中心 returned it: its own dispatches gain a return, none gained (it had it already).
        expect(delta('szss', 'unit_returned')).toBe(1);
        expect(delta('szss', 'unit_dispatched')).toBe(0);
        // 城管局 received it and returned nothing; the ticket itself (now at 城管局) was returned once.
        expect(delta('cgj', 'unit_dispatched')).toBe(1);
        expect(delta('cgj', 'unit_returned')).toBe(0);
        expect(delta('cgj', 'returned')).toBe(1);
      }
      for (const k of ['szss', 'cgj'] as const) {
        const c = after[k].counts;
        expect(after[k].rates.returnRate).toBe(c.unit_returned / c.unit_dispatched);
        expect(after[k].rates.accurateDispatchRate).toBe((c.unit_dispatched - c.unit_returned) / c.unit_dispatched);
      }
    }
    // Not grouped by unit, 退单率 stays per ticket: returned / dispatched.
    const street = (await get(official, `rates?from=${today}&to=${today}&groupBy=street`)).body.rows.find((row: any) => row.group === ZHANQIAN);
    expect(street.rates.returnRate).toBe(street.counts.returned / street.counts.dispatched);
  });

  it('an event that changes no figure (督办) rewrites no rollup row, only the ticket\'s facts; one that does rewrites them', async () => {
    const { id } = (await fileTicket(t, grid, { ...MANHOLE, title: '电务小区3号楼井盖松动', standardCode: 'damaged' })).body;
    await mustAct(t, dispatcher, id, 'register');
    await mustAct(t, dispatcher, id, 'dispatch', { unitId: ids['FX-SZSS'] });
    await fold();
    // Its day row and its month-by-street row, with the version of each (xmin changes whenever a row is rewritten).
    const rowsOf = async (): Promise<Array<{ key_id: number; xmin: string; filed: number }>> => t.ds.query(
      `SELECT r.key_id, r.xmin::text AS xmin, r.filed FROM report_ticket_facts f JOIN report_keys d ON d.id = f.key_id
         JOIN report_keys k ON k.grain = 'month_street' AND k.day = date_trunc('month', d.day)::date AND k.path = subpath(d.path, 0, 3)
         JOIN report_rollup r ON r.key_id IN (d.id, k.id) WHERE f.ticket_id = $1 ORDER BY r.key_id`, [id]);
    const factsVersion = async (): Promise<string> => (await t.ds.query(`SELECT xmin::text AS v FROM report_ticket_facts WHERE ticket_id = $1`, [id]))[0].v;
    const before = await rowsOf();
    expect(before).toHaveLength(2);
    const facts = await factsVersion();
    await mustAct(t, dispatcher, id, 'supervise', { reason: '请尽快处置 / please hurry' });
    await fold();
    expect(await rowsOf()).toEqual(before);
    expect(await factsVersion()).not.toBe(facts);
    await mustAct(t, handler, id, 'sign');
    await fold();
    const after = await rowsOf();
    expect(after.map((r) => r.key_id)).toEqual(before.map((r) => r.key_id));
    for (const [i, r] of after.entries()) expect(r.xmin).not.toBe(before[i]!.xmin);
  });
});
