import { SlaRepository } from '../../src/modules/sla/sla.repository';
import { createTestApp, type TestApp } from '../support/test-app';
import { codeIds } from '../support/tickets';
import { armResolveClock, firingsOf, inProgressTicket, waitFor } from '../support/sla';

const HOUR = 3600;

interface AuditRow {
  action: string;
  target: string;
  actor_username: string;
  request_id: string | null;
  details: { before?: { version?: number; definition?: Record<string, unknown>; retriedAt?: string | null }; after?: { version?: number; definition?: Record<string, unknown>; retriedAt?: string } } & Record<string, unknown>;
}

/** SLA administration is scoped like the rest: calendars to the admin's subtree, city-wide settings to city-level admins; every change audited. */
describe('sla admin: scope and audit of calendars, policies and dead letters 时限管理', () => {
  let t: TestApp;
  let ids: Record<string, string>;
  let admin: string;
  let hzAdmin: string;
  let xhAdmin: string;
  let tokens: { grid: string; dispatcher: string; handler: string };

  beforeAll(async () => {
    t = await createTestApp();
    ids = await codeIds(t);
    const [grid, dispatcher, handler, a] = await Promise.all(['demo.grid', 'demo.dispatcher', 'demo.handler', 'demo.admin'].map((u) => t.login(u)));
    tokens = { grid: grid!, dispatcher: dispatcher!, handler: handler! };
    admin = a!;
    const users = [
      { username: 'hz.slaadmin', displayName: '海州区管理员', role: 'admin', scopeNodeId: ids['210902'], password: 'Haizhou@2026!' },
      { username: 'xh.slaadmin', displayName: '细河区管理员', role: 'admin', scopeNodeId: ids['210911'], password: 'Xihe@2026!!' },
    ];
    for (const body of users) expect((await t.request('POST', '/api/v1/admin/users', { token: admin, body })).status).toBe(201);
    hzAdmin = await t.login('hz.slaadmin', 'Haizhou@2026!');
    xhAdmin = await t.login('xh.slaadmin', 'Xihe@2026!!');
  });
  afterAll(async () => { await t.close(); });

  const audits = (action: string, target: string): Promise<AuditRow[]> => t.ds.query(
    `SELECT action, target, actor_username, request_id, details FROM audit_log WHERE action = $1 AND target = $2 ORDER BY id`, [action, target]);
  const versionsOf = async (code: string): Promise<number> =>
    (await t.ds.query(`SELECT count(*)::int AS n FROM sla_calendar_versions WHERE code = $1`, [code]))[0].n;
  const policyVersions = async (): Promise<number> => (await t.ds.query(`SELECT count(*)::int AS n FROM sla_policy_versions`))[0].n;
  const schedule = (year: number) => `date,kind,name_zh,name_en\n${year}-01-01,holiday,元旦,New Year\n`;

  it('calendars: another district’s is 404 to read and to change; the change is refused and nothing is written', async () => {
    const created = await t.request('POST', '/api/v1/sla/calendars', { token: admin, body: {
      code: 'xihe', parentCode: 'cn-national', gridNodeId: ids['210911'], note: '细河区',
      definition: { holidays: [], workdays: [], closures: [] },
    } });
    expect(created.status).toBe(201);
    const [create] = await audits('sla.calendar.create', 'xihe');
    expect(create).toMatchObject({ actor_username: 'demo.admin', details: { after: { parentCode: 'cn-national', gridNodeId: ids['210911'], version: 1 } } });

    // The Haizhou admin sees the national calendar, not Xihe's.
    const list = await t.request('GET', '/api/v1/sla/calendars', { token: hzAdmin });
    expect(list.body.map((c: { code: string }) => c.code)).toEqual(['cn-national']);
    expect((await t.request('GET', '/api/v1/sla/calendars/xihe', { token: hzAdmin })).status).toBe(404);
    expect((await t.request('GET', '/api/v1/sla/calendars/xihe', { token: xhAdmin })).status).toBe(200);

    const put = await t.request('PUT', '/api/v1/sla/calendars/xihe', { token: hzAdmin, body: { expectedVersion: 1, definition: { holidays: [], workdays: [], closures: [] } } });
    expect([put.status, put.body.code]).toEqual([404, 'SLA_CALENDAR_NOT_FOUND']);
    expect(put.headers['content-type']).toContain('application/problem+json');
    const imp = await t.request('POST', '/api/v1/sla/calendars/xihe/schedule', { token: hzAdmin, body: { expectedVersion: 1, text: schedule(2027) } });
    expect([imp.status, imp.body.code]).toEqual([404, 'SLA_CALENDAR_NOT_FOUND']);
    expect(await versionsOf('xihe')).toBe(1);
    expect(await audits('sla.calendar.update', 'xihe')).toEqual([]);
    expect(await audits('sla.calendar.import_schedule', 'xihe')).toEqual([]);

    // A calendar only inherits from one that covers its grid node.
    const misplaced = await t.request('POST', '/api/v1/sla/calendars', { token: hzAdmin, body: {
      code: 'hz-under-xihe', parentCode: 'xihe', gridNodeId: ids['210902'], definition: { holidays: [], workdays: [], closures: [] },
    } });
    expect([misplaced.status, misplaced.body.code]).toEqual([400, 'SLA_CALENDAR_INVALID']);
    expect(await t.ds.query(`SELECT code FROM sla_calendars WHERE code = 'hz-under-xihe'`)).toEqual([]);
  });

  it('calendars: the national one is city-wide (403 CITY_SCOPE_REQUIRED for a district admin); one’s own district calendar is changed and audited with before and after', async () => {
    const nationalBefore = await versionsOf('cn-national');
    const def = (await t.request('GET', '/api/v1/sla/calendars/cn-national', { token: hzAdmin })).body.definition;
    const { code: _c, version: _v, ...editable } = def as Record<string, unknown>;
    const put = await t.request('PUT', '/api/v1/sla/calendars/cn-national', { token: hzAdmin, body: { expectedVersion: 1, definition: editable } });
    expect([put.status, put.body.code]).toEqual([403, 'CITY_SCOPE_REQUIRED']);
    expect(put.headers['content-type']).toContain('application/problem+json');
    expect(put.body.title).toBeTruthy();
    const imp = await t.request('POST', '/api/v1/sla/calendars/cn-national/schedule', { token: hzAdmin, body: { expectedVersion: 1, text: schedule(2027) } });
    expect([imp.status, imp.body.code]).toEqual([403, 'CITY_SCOPE_REQUIRED']);
    expect(await versionsOf('cn-national')).toBe(nationalBefore);
    expect(await audits('sla.calendar.import_schedule', 'cn-national')).toEqual([]);

    // Within their subtree the district admin manages calendars: create, edit, import — each audited.
    const created = await t.request('POST', '/api/v1/sla/calendars', { token: hzAdmin, body: {
      code: 'haizhou', parentCode: 'cn-national', gridNodeId: ids['210902'], definition: { holidays: [], workdays: [], closures: [] },
    } });
    expect(created.status).toBe(201);
    const closure = { date: '2026-12-01', name: { zh: '暴雪停工', en: 'Snowstorm closure' } };
    const edited = await t.request('PUT', '/api/v1/sla/calendars/haizhou', { token: hzAdmin, body: {
      expectedVersion: 1, note: '暴雪', definition: { holidays: [closure], workdays: [], closures: [] },
    } });
    expect(edited.status).toBe(200);
    expect(edited.body.currentVersion).toBe(2);
    const [update] = await audits('sla.calendar.update', 'haizhou');
    expect(update).toMatchObject({ actor_username: 'hz.slaadmin', details: { before: { version: 1, definition: { holidays: [] } }, after: { version: 2, definition: { holidays: [closure] } }, note: '暴雪' } });
    expect(update!.request_id).toBeTruthy();
    const imported = await t.request('POST', '/api/v1/sla/calendars/haizhou/schedule', { token: hzAdmin, body: { expectedVersion: 2, text: schedule(2027) } });
    expect(imported.status).toBe(200);
    const [importAudit] = await audits('sla.calendar.import_schedule', 'haizhou');
    expect(importAudit).toMatchObject({ details: { before: { version: 2 }, after: { version: 3 } } });
    expect(importAudit!.details.after!.definition!.holidays).toEqual(expect.arrayContaining([expect.objectContaining({ date: '2027-01-01' })]));

    // The city admin may change the national calendar; that is audited too.
    const city = await t.request('POST', '/api/v1/sla/calendars/cn-national/schedule', { token: admin, body: { expectedVersion: 1, text: schedule(2027) } });
    expect(city.status).toBe(200);
    expect(await audits('sla.calendar.import_schedule', 'cn-national')).toEqual([expect.objectContaining({ actor_username: 'demo.admin', details: expect.objectContaining({ before: expect.objectContaining({ version: 1 }), after: expect.objectContaining({ version: 2 }) }) })]);

    // Refused input writes no audit entry.
    const stale = await t.request('PUT', '/api/v1/sla/calendars/haizhou', { token: hzAdmin, body: { expectedVersion: 1, definition: { holidays: [], workdays: [], closures: [] } } });
    expect([stale.status, stale.body.code]).toEqual([409, 'SLA_STALE_VERSION']);
    const bad = await t.request('PUT', '/api/v1/sla/calendars/haizhou', { token: hzAdmin, body: { expectedVersion: 'three', definition: {} } });
    expect(bad.status).toBe(400);
    expect(await audits('sla.calendar.update', 'haizhou')).toHaveLength(1);
  });

  it('calendars of any JSON shape: a list that is not a list is 400 SLA_CALENDAR_INVALID, nothing written; a bare definition takes a schedule', async () => {
    const noWorkingTime = { weekPeriods: Object.fromEntries([1, 2, 3, 4, 5, 6, 7].map((d) => [d, []])) };
    for (const definition of [{ holidays: 5 }, { workdays: { a: 1 } }, { closures: 'x' }, { makeupTemplateWeekday: [{}] }, { weekPeriods: [], holidays: [null] }, noWorkingTime]) {
      const before = await versionsOf('xinqiu-bare');
      const bad = await t.request('POST', '/api/v1/sla/calendars', { token: admin, body: { code: 'xinqiu-bare', parentCode: 'cn-national', gridNodeId: ids['210903'], definition } });
      expect({ definition, status: bad.status, code: bad.body.code }).toEqual({ definition, status: 400, code: 'SLA_CALENDAR_INVALID' });
      expect(bad.headers['content-type']).toContain('application/problem+json');
      expect(await versionsOf('xinqiu-bare')).toBe(before);
    }
    const created = await t.request('POST', '/api/v1/sla/calendars', { token: admin, body: { code: 'xinqiu-bare', parentCode: 'cn-national', gridNodeId: ids['210903'], definition: {} } });
    expect(created.status).toBe(201);
    const imported = await t.request('POST', '/api/v1/sla/calendars/xinqiu-bare/schedule', { token: admin, body: { expectedVersion: 1, text: schedule(2027) } });
    expect([imported.status, imported.body.currentVersion]).toEqual([200, 2]);
    const empty = await t.request('POST', '/api/v1/sla/calendars/xinqiu-bare/schedule', { token: admin, body: { expectedVersion: 2, text: '# 2028\n' } });
    expect([empty.status, empty.body.code]).toEqual([400, 'SLA_SCHEDULE_INVALID']);
    expect(await versionsOf('xinqiu-bare')).toBe(2);
  });

  it('calendars inherit down the grid tree: a new calendar takes the most specific one above it as parent, and those already below it inherit from it', async () => {
    // 细河区 (created above) hangs off the national calendar; the city now gets one of its own.
    const xiheBefore = (await t.request('GET', '/api/v1/sla/calendars/xihe', { token: admin })).body;
    expect(xiheBefore.parentCode).toBe('cn-national');
    const city = await t.request('POST', '/api/v1/sla/calendars', { token: admin, body: {
      code: 'fuxin', parentCode: 'cn-national', gridNodeId: ids['210900'], note: '阜新市', definition: { closures: [{ from: '2027-01-05T00:00:00+08:00', to: '2027-01-06T00:00:00+08:00', name: { zh: '暴雪停工', en: 'Snowstorm' } }] },
    } });
    expect(city.status).toBe(201);
    const xihe = (await t.request('GET', '/api/v1/sla/calendars/xihe', { token: admin })).body;
    expect({ parentCode: xihe.parentCode, currentVersion: xihe.currentVersion }).toEqual({ parentCode: 'fuxin', currentVersion: xiheBefore.currentVersion + 1 });
    expect(xihe.definition.parentCode).toBe('fuxin');
    const [moved] = await audits('sla.calendar.reparent', 'xihe');
    expect(moved).toMatchObject({ actor_username: 'demo.admin', details: { before: { parentCode: 'cn-national' }, after: { parentCode: 'fuxin', version: xihe.currentVersion } } });
    // A district's new calendar must hang off the city's now: skipping it would skip the city's closures.
    const skipping = await t.request('POST', '/api/v1/sla/calendars', { token: admin, body: { code: 'taiping', parentCode: 'cn-national', gridNodeId: ids['210904'], definition: {} } });
    expect([skipping.status, skipping.body.code, skipping.body.errors?.[0]?.field]).toEqual([400, 'SLA_CALENDAR_INVALID', 'parentCode']);
    expect(await versionsOf('taiping')).toBe(0);
    const taiping = await t.request('POST', '/api/v1/sla/calendars', { token: admin, body: { code: 'taiping', parentCode: 'fuxin', gridNodeId: ids['210904'], definition: {} } });
    expect(taiping.status).toBe(201);
  });

  it('policies (default and per platform) are city-wide: a district admin gets 403 CITY_SCOPE_REQUIRED; the city admin’s edits are audited with before and after', async () => {
    const before = await policyVersions();
    const [current] = (await t.request('GET', '/api/v1/sla/policies', { token: hzAdmin })).body;
    expect(current).toMatchObject({ code: 'default', platform: null });
    const definition = { ...current.definition, unitOverrides: [{ unitId: ids['FX-SZSS'], factor: 0.5 }] };
    const put = await t.request('PUT', '/api/v1/sla/policies/default', { token: hzAdmin, body: { expectedVersion: current.currentVersion, definition } });
    expect([put.status, put.body.code]).toEqual([403, 'CITY_SCOPE_REQUIRED']);
    const post = await t.request('POST', '/api/v1/sla/policies', { token: hzAdmin, body: { code: 'hz-community', platform: 'community_governance', definition } });
    expect([post.status, post.body.code]).toEqual([403, 'CITY_SCOPE_REQUIRED']);
    expect(await policyVersions()).toBe(before);
    expect(await audits('sla.policy.update', 'default')).toEqual([]);

    const ok = await t.request('PUT', '/api/v1/sla/policies/default', { token: admin, body: { expectedVersion: current.currentVersion, definition, note: '市政设施中心时限减半' } });
    expect(ok.status).toBe(200);
    const [update] = await audits('sla.policy.update', 'default');
    expect(update).toMatchObject({
      actor_username: 'demo.admin',
      details: { before: { version: current.currentVersion, definition: { unitOverrides: [] } }, after: { version: current.currentVersion + 1, definition: { unitOverrides: [{ unitId: ids['FX-SZSS'], factor: 0.5 }] } } },
    });
    const created = await t.request('POST', '/api/v1/sla/policies', { token: admin, body: { code: 'community', platform: 'community_governance', definition: current.definition } });
    expect(created.status).toBe(201);
    expect(await audits('sla.policy.create', 'community')).toEqual([expect.objectContaining({ details: expect.objectContaining({ after: expect.objectContaining({ platform: 'community_governance', version: 1 }) }) })]);
  });

  it('dead letters: listed and resent within the admin’s subtree only; a resend is audited', async () => {
    const { id } = await inProgressTicket(t, tokens, ids['FX-SZSS']!, { title: '井盖缺失（死信）' });
    await armResolveClock(t, admin, id, 4 * HOUR, -1); // the platform policy made above has no unit factor: 4 hours
    const [firing] = await waitFor('a firing', async () => {
      const fs = await t.ds.query(`SELECT id::text FROM sla_firings WHERE ticket_id = $1 ORDER BY id LIMIT 1`, [id]);
      return fs.length > 0 && fs;
    });
    expect((await firingsOf(t, id)).length).toBeGreaterThan(0);
    // Its webhook failed five times (as the notify job records it).
    await t.app.get(SlaRepository, { strict: false }).deadLetter(firing.id, 5, 'webhook answered 503');
    const [letter] = await t.ds.query(`SELECT id::text FROM sla_dead_letters WHERE firing_id = $1`, [firing.id]);

    const xhList = await t.request('GET', '/api/v1/sla/dead-letters', { token: xhAdmin });
    expect(xhList.status).toBe(200);
    expect(xhList.body.map((d: { id: string }) => d.id)).not.toContain(letter.id);
    const xhRetry = await t.request('POST', `/api/v1/sla/dead-letters/${letter.id}/retry`, { token: xhAdmin });
    expect([xhRetry.status, xhRetry.body.code]).toEqual([404, 'SLA_DEAD_LETTER_NOT_FOUND']);
    expect(await t.ds.query(`SELECT retried_at FROM sla_dead_letters WHERE id = $1`, [letter.id])).toEqual([{ retried_at: null }]);
    expect(await audits('sla.dead_letter.retry', letter.id)).toEqual([]);

    const hzList = await t.request('GET', '/api/v1/sla/dead-letters', { token: hzAdmin });
    expect(hzList.body.map((d: { id: string }) => d.id)).toContain(letter.id);
    const one = await t.request('GET', '/api/v1/sla/dead-letters?limit=1', { token: hzAdmin });
    expect([one.status, one.body.length]).toEqual([200, 1]);
    for (const limit of ['0', '501', 'x', '1.5']) {
      const bad = await t.request('GET', `/api/v1/sla/dead-letters?limit=${limit}`, { token: hzAdmin });
      expect({ limit, status: bad.status, type: bad.headers['content-type'] }).toEqual({ limit, status: 400, type: expect.stringContaining('application/problem+json') });
    }
    const retry = await t.request('POST', `/api/v1/sla/dead-letters/${letter.id}/retry`, { token: hzAdmin });
    expect(retry.status).toBe(202);
    const [audit] = await audits('sla.dead_letter.retry', letter.id);
    expect(audit).toMatchObject({ actor_username: 'hz.slaadmin', details: { firingId: firing.id, ticketId: id, before: { retriedAt: null } } });
    expect(Date.parse(audit!.details.after!.retriedAt!)).not.toBeNaN();
    expect((await t.request('POST', '/api/v1/sla/dead-letters/not-a-number/retry', { token: admin })).status).toBe(404);
  });
});
