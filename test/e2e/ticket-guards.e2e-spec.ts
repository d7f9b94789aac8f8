import { toAppException } from '../../src/common/problem.filter';
import { DEMO_OPEN311_KEY } from '../../src/database/seeds/demo-open311';
import { createTestApp, type HttpResponse, type TestApp } from '../support/test-app';
import { act, codeIds, createStaff, fileTicket, JPEG, MANHOLE, mustAct } from '../support/tickets';

/**
 * The guards around ticket actions and filing: who a ticket may be handed to, which categories can be filed,
 * numbers past 999,999 a day, merged tickets following their parent to every end, illegal transitions,
 * bad input on intake and actions, and who may change materials and attachments.
 */
describe('ticket guards 工单校验', () => {
  let t: TestApp;
  let ids: Record<string, string>;
  let users: Record<string, string>;
  let grid: string;
  let dispatcher: string;
  let handler: string;
  let official: string;
  let admin: string;

  const user = (username: string, role: string, node: string, unit?: string): Promise<string> => createStaff(t, admin, ids, users, username, role, node, unit);
  /** What a refused request must leave alone: the ticket's row and its timeline, and the table sizes. */
  const snapshot = async (ticketId?: string) => (await t.ds.query(
    `SELECT (SELECT count(*) FROM tickets)::int AS tickets, (SELECT count(*) FROM ticket_events)::int AS events,
            (SELECT count(*) FROM attachments)::int AS attachments,
            (SELECT row_to_json(x) FROM (SELECT version, status, unit_id, handler_id, parent_id, closed_at, attributes, materials_complete
               FROM tickets WHERE id = $1) x) AS ticket`, [ticketId ?? null]))[0];
  const timeline = async (id: string): Promise<Array<{ action: string; to: string; data: Record<string, unknown> }>> =>
    (await t.request('GET', `/api/v1/tickets/${id}/events`, { token: dispatcher })).body;
  const expectProblem = (res: HttpResponse, status: number, code: string) => {
    expect([res.status, res.body?.code]).toEqual([status, code]);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body.titleZh).toBeTruthy();
  };

  beforeAll(async () => {
    t = await createTestApp();
    ids = await codeIds(t);
    users = Object.fromEntries((await t.ds.query(`SELECT username, id FROM users`) as Array<{ username: string; id: string }>).map((u) => [u.username, u.id]));
    [grid, dispatcher, handler, official, admin] = await Promise.all(['demo.grid', 'demo.dispatcher', 'demo.handler', 'demo.official', 'demo.admin'].map((u) => t.login(u)));
  });
  afterAll(async () => { await t.close(); });

  describe('handlerId on dispatch and reassign 指定承办人', () => {
    it('refuses an unknown user, a handler of another unit or district, a non-handler and an inactive handler with 422, changing nothing', async () => {
      await user('xh.handler', 'handler', '210911', 'XH-CC');
      await user('water.handler', 'handler', '210900', 'FX-WATER');
      await user('szss.retired', 'handler', '210900', 'FX-SZSS');
      await t.ds.query(`UPDATE users SET active = false WHERE username = 'szss.retired'`);
      const { body: ticket } = await fileTicket(t, grid, { ...MANHOLE, title: '指定承办人测试' });
      await mustAct(t, dispatcher, ticket.id, 'register');
      const before = await snapshot(ticket.id);
      for (const handlerId of [
        '00000000-0000-4000-8000-000000000000', // well-formed, no such user (was a foreign-key 500)
        users['xh.handler'], // another district's unit
        users['water.handler'], // another unit of the city
        users['demo.dispatcher'], // not a handler
        users['szss.retired'], // the right unit, but deactivated
      ]) {
        const res = await t.request('POST', `/api/v1/tickets/${ticket.id}/actions/dispatch`, {
          token: dispatcher, body: { expectedVersion: before.ticket.version, unitId: ids['FX-SZSS'], handlerId },
        });
        expectProblem(res, 422, 'HANDLER_NOT_IN_UNIT');
      }
      expect(await snapshot(ticket.id)).toEqual(before);
      expect((await timeline(ticket.id)).map((e) => e.action)).toEqual(['file', 'register']);

      // A handler of the unit is accepted and holds the ticket.
      const dispatched = await mustAct(t, dispatcher, ticket.id, 'dispatch', { unitId: ids['FX-SZSS'], handlerId: users['demo.handler'] });
      expect(dispatched).toMatchObject({ status: 'dispatched', unitId: ids['FX-SZSS'], handlerId: users['demo.handler'] });

      // Reassigning to another unit with a handler who is not of that unit: 422, nothing changed.
      const mid = await snapshot(ticket.id);
      const reassign = await t.request('POST', `/api/v1/tickets/${ticket.id}/actions/reassign`, {
        token: dispatcher, body: { expectedVersion: mid.ticket.version, unitId: ids['FX-WATER'], handlerId: users['demo.handler'] },
      });
      expectProblem(reassign, 422, 'HANDLER_NOT_IN_UNIT');
      expect(await snapshot(ticket.id)).toEqual(mid);
      const moved = await mustAct(t, dispatcher, ticket.id, 'reassign', { unitId: ids['FX-WATER'], handlerId: users['water.handler'] });
      expect(moved).toMatchObject({ unitId: ids['FX-WATER'], handlerId: users['water.handler'] });
    });

    it('maps database constraint errors that slip past the services to 4xx problems, never 500', async () => {
      const { body: ticket } = await fileTicket(t, grid, { ...MANHOLE, title: '约束映射测试' });
      const failure = (sql: string, params: unknown[] = []) => t.ds.query(sql, params).then(() => { throw new Error(`no error from ${sql}`); }, (e: unknown) => e);
      const fk = toAppException(await failure(`UPDATE tickets SET handler_id = $1 WHERE id = $2`, ['00000000-0000-4000-8000-000000000000', ticket.id]));
      expect([fk.status, fk.code]).toEqual([422, 'REFERENCE_NOT_FOUND']);
      const inUse = toAppException(await failure(`DELETE FROM units WHERE code = 'FX-SZSS'`));
      expect([inUse.status, inUse.code]).toEqual([409, 'REFERENCE_IN_USE']);
      const check = toAppException(await failure(`UPDATE tickets SET priority = 'whenever' WHERE id = $1`, [ticket.id]));
      expect([check.status, check.code]).toEqual([422, 'CONSTRAINT_VIOLATED']);
      const unique = toAppException(await failure(`UPDATE tickets SET number = (SELECT number FROM tickets WHERE id <> $1 LIMIT 1) WHERE id = $1`, [ticket.id]));
      expect([unique.status, unique.code]).toEqual([409, 'WRITE_CONFLICT']);
      const format = toAppException(await failure(`SELECT 'not-a-uuid'::uuid`));
      expect([format.status, format.code]).toEqual([400, 'VALIDATION_FAILED']);
      const tooLong = toAppException(await failure(`DO $$ BEGIN RAISE EXCEPTION 'value too long' USING ERRCODE = '22001'; END $$`));
      expect([tooLong.status, tooLong.code]).toEqual([400, 'VALIDATION_FAILED']);
      const other = toAppException(await failure(`SELECT * FROM no_such_table`));
      expect([other.status, other.code]).toEqual([500, 'INTERNAL']);
    });
  });

  describe('filing needs a case standard 立案标准', () => {
    it('refuses a category without a standard (a 大类) with 422 STANDARD_REQUIRED, writing nothing', async () => {
      const before = await snapshot();
      for (const categoryCode of ['01', 'SJ01']) {
        expectProblem(await fileTicket(t, grid, { ...MANHOLE, categoryCode, standardCode: undefined }), 422, 'STANDARD_REQUIRED');
      }
      expect(await snapshot()).toEqual(before);
      // A 大类 that has standards of its own (微心愿) can still be filed.
      expect((await fileTicket(t, grid, { categoryCode: 'PB01', title: '微心愿', description: '一套课外书', channel: 'patrol', attributes: { wishType: 'micro_wish', beneficiaryCount: 1 } })).status).toBe(201);
    });

    it('applies to Open311 filings too: a leaf category without standards is not a service (404), never a 500', async () => {
      const created = await t.request('POST', '/api/v1/admin/categories', {
        token: admin, body: { code: '0117', platform: 'community_governance', level: 'minor', parentCode: '01', nameZh: '测试设施', nameEn: 'Test facility' },
      });
      expect(created.status).toBe(201);
      expect(created.body.standards).toEqual([]);
      expectProblem(await fileTicket(t, grid, { ...MANHOLE, categoryCode: '0117', standardCode: undefined }), 422, 'STANDARD_REQUIRED');
      const before = await snapshot();
      const form = new URLSearchParams({ api_key: DEMO_OPEN311_KEY, service_code: '0117', lat: String(MANHOLE.lat), long: String(MANHOLE.lng), description: '测试设施损坏' });
      const res = await t.request('POST', '/open311/v2/requests.json', { raw: form.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      // Open311 does not offer a category without standards as a service at all: an unknown service_code.
      expect(res.status).toBe(404);
      expect(res.body).toEqual([{ code: 404, description: 'service_code not found / 服务类型不存在' }]);
      expect(await snapshot()).toEqual(before);
    });
  });

  describe('a merged ticket follows its parent to every end 并单', () => {
    const fileDup = async (title: string, token = grid) => (await fileTicket(t, token, { ...MANHOLE, title, description: `${title}，井盖缺失` })).body as { id: string; number: string };
    const child = async (id: string) => (await t.request('GET', `/api/v1/tickets/${id}`, { token: dispatcher })).body;

    it('parent voided (不予立案): each child gets a parent-voided event with the reason and a closedAt', async () => {
      const parent = await fileDup('作废主单');
      const dup = await fileDup('作废子单');
      await mustAct(t, dispatcher, dup.id, 'merge', { parentId: parent.id });
      await mustAct(t, dispatcher, parent.id, 'void', { reason: '非本辖区设施，不予立案' });
      const c = await child(dup.id);
      expect(c).toMatchObject({ status: 'merged', parentId: parent.id });
      expect(c.closedAt).toBeTruthy();
      expect(c.timeline.map((e: { action: string }) => e.action)).toEqual(['file', 'merge', 'parent-voided']);
      expect(c.timeline[2]).toMatchObject({ from: 'merged', to: 'merged', data: { parentId: parent.id, parentNumber: parent.number, parentStatus: 'voided', reason: '非本辖区设施，不予立案' } });
    });

    it('parent cancelled by its filer (撤销): each child gets a parent-cancelled event and a closedAt', async () => {
      const parent = await fileDup('撤销主单');
      const dup = await fileDup('撤销子单', dispatcher);
      await mustAct(t, dispatcher, dup.id, 'merge', { parentId: parent.id });
      await mustAct(t, grid, parent.id, 'cancel', { note: '已自行解决' });
      const c = await child(dup.id);
      expect(c.status).toBe('merged');
      expect(c.closedAt).toBeTruthy();
      expect(c.timeline.map((e: { action: string }) => e.action)).toEqual(['file', 'merge', 'parent-cancelled']);
      expect(c.timeline[2].data).toMatchObject({ parentId: parent.id, parentStatus: 'cancelled' });
    });

    it('parent merged into another ticket: its children are re-pointed, and all close when the final ticket closes', async () => {
      const a = await fileDup('链式 A');
      const b = await fileDup('链式 B');
      const c = await fileDup('链式 C');
      await mustAct(t, dispatcher, c.id, 'merge', { parentId: b.id });
      const cBefore = await child(c.id);
      await mustAct(t, dispatcher, b.id, 'merge', { parentId: a.id });
      const cAfter = await child(c.id);
      expect(cAfter).toMatchObject({ status: 'merged', parentId: a.id, closedAt: null, version: cBefore.version + 1 });
      expect(cAfter.timeline.map((e: { action: string }) => e.action)).toEqual(['file', 'merge', 'parent-merged']);
      expect(cAfter.timeline[2].data).toEqual({ fromParentId: b.id, fromParentNumber: b.number, parentId: a.id, parentNumber: a.number });
      // A merged ticket cannot take new duplicates.
      expectProblem(await act(t, dispatcher, (await fileDup('链式 D')).id, 'merge', { parentId: b.id }), 422, 'PARENT_NOT_FOUND');

      await mustAct(t, dispatcher, a.id, 'register');
      await mustAct(t, dispatcher, a.id, 'dispatch', { unitId: ids['FX-SZSS'] });
      await mustAct(t, handler, a.id, 'sign');
      await mustAct(t, handler, a.id, 'resolve', { note: '已更换' });
      await mustAct(t, grid, a.id, 'verify', { passed: true });
      for (const id of [b.id, c.id]) {
        const x = await child(id);
        expect(x).toMatchObject({ status: 'merged', parentId: a.id });
        expect(x.closedAt).toBeTruthy();
        expect(x.timeline.at(-1)).toMatchObject({ action: 'parent-closed', data: { parentId: a.id, parentNumber: a.number, parentStatus: 'closed' } });
      }
    });

    it('a chain left from before re-pointing (grandchild under a merged parent) is walked when the final ticket ends', async () => {
      const a = await fileDup('旧链 A');
      const b = await fileDup('旧链 B');
      const c = await fileDup('旧链 C');
      await mustAct(t, dispatcher, b.id, 'merge', { parentId: a.id });
      await mustAct(t, dispatcher, c.id, 'merge', { parentId: a.id });
      // As the data looked when a parent's merge did not re-point its children: C under the merged B.
      await t.ds.query(`UPDATE tickets SET parent_id = $1 WHERE id = $2`, [b.id, c.id]);
      await mustAct(t, dispatcher, a.id, 'void', { reason: '重复上报' });
      const x = await child(c.id);
      expect(x.closedAt).toBeTruthy();
      expect(x.timeline.at(-1)).toMatchObject({ action: 'parent-voided', data: { parentId: a.id, mergedVia: b.id, parentStatus: 'voided' } });
      expect((await child(b.id)).timeline.at(-1).action).toBe('parent-voided');
    });
  });

  describe('illegal transitions over HTTP 非法流转', () => {
    it('a dispatcher dispatching a reported ticket, or a filer cancelling a registered one: 409 ILLEGAL_TRANSITION, nothing changed', async () => {
      const { body: ticket } = await fileTicket(t, grid, { ...MANHOLE, title: '非法流转测试' });
      const before = await snapshot(ticket.id);
      expectProblem(await act(t, dispatcher, ticket.id, 'dispatch', { unitId: ids['FX-SZSS'] }), 409, 'ILLEGAL_TRANSITION');
      expectProblem(await act(t, dispatcher, ticket.id, 'review-return', { approved: true }), 409, 'ILLEGAL_TRANSITION');
      expect(await snapshot(ticket.id)).toEqual(before);
      await mustAct(t, dispatcher, ticket.id, 'register');
      const mid = await snapshot(ticket.id);
      expectProblem(await act(t, grid, ticket.id, 'cancel'), 409, 'ILLEGAL_TRANSITION');
      expectProblem(await act(t, dispatcher, ticket.id, 'register'), 409, 'ILLEGAL_TRANSITION');
      expect(await snapshot(ticket.id)).toEqual(mid);
      expect((await timeline(ticket.id)).map((e) => e.action)).toEqual(['file', 'register']);
    });
  });

  describe('bad input on intake and actions 非法输入', () => {
    const json = (token: string, url: string, raw: string) => t.request('POST', url, { token, raw, headers: { 'content-type': 'application/json' } });
    const manhole = (over: Record<string, unknown> = {}) => JSON.stringify({ ...MANHOLE, title: '非法输入测试', ...over });

    it('POST /tickets: every class is a 4xx problem and files nothing', async () => {
      const cases: Array<[string, string, number, string]> = [
        ['oversized body', manhole({ description: 'x'.repeat(2 * 1024 * 1024) }), 413, 'BODY_TOO_LARGE'],
        ['deeply nested attributes', manhole().replace(/}$/, `,"attributes":${'{"a":'.repeat(40)}1${'}'.repeat(40)}}`), 400, 'JSON_TOO_DEEP'],
        ['deeply nested arrays', manhole().replace(/}$/, `,"materialsProvided":${'['.repeat(5000)}${']'.repeat(5000)}}`), 400, 'JSON_TOO_DEEP'],
        ['lone surrogate in the title', manhole().replace('非法输入测试', '\\ud800坏'), 400, 'INVALID_UNICODE'],
        ['lone low surrogate in the reporter', manhole().replace('张建国', '\\udc00'), 400, 'INVALID_UNICODE'],
        ['NUL in the description', manhole({ description: 'a\u0000b' }), 400, 'NUL_BYTE'],
        ['NUL in an attribute key', manhole().replace(/}$/, ',"attributes":{"a\\u0000":1}}'), 400, 'NUL_BYTE'],
        ['__proto__ inside attributes', manhole().replace(/}$/, ',"attributes":{"__proto__":{"polluted":true}}}'), 400, 'FORBIDDEN_KEY'],
        ['constructor.prototype in a nested object', manhole().replace(/}$/, ',"x":{"constructor":{"prototype":{"polluted":true}}}}'), 400, 'FORBIDDEN_KEY'],
        ['emoji in the category code', manhole({ categoryCode: '01🚧' }), 400, 'VALIDATION_FAILED'],
        ['unknown field inside reporter', manhole({ reporter: { name: '张三', phone: '13800001111', idNumber: '210902197001011234' } }), 400, 'VALIDATION_FAILED'],
        ['title as a number', manhole({ title: 42 }), 400, 'VALIDATION_FAILED'],
        ['reporter as a string', manhole({ reporter: '张三 13800001111' }), 400, 'VALIDATION_FAILED'],
        ['attributes as an array', manhole({ attributes: [1, 2] }), 400, 'VALIDATION_FAILED'],
        ['materialsProvided as a string', manhole({ materialsProvided: '身份证' }), 400, 'VALIDATION_FAILED'],
        ['lat as an array', manhole({ lat: [42] }), 400, 'VALIDATION_FAILED'],
        ['priority outside the list', manhole({ priority: 'asap' }), 400, 'VALIDATION_FAILED'],
        ['gridNodeId not a uuid', manhole({ gridNodeId: "' OR 1=1 --" }), 400, 'VALIDATION_FAILED'],
        ['a JSON array body', `[${manhole()}]`, 400, 'VALIDATION_FAILED'],
      ];
      const before = await snapshot();
      for (const [name, raw, status, code] of cases) {
        const res = await json(grid, '/api/v1/tickets', raw);
        expect([name, res.status, res.body?.code]).toEqual([name, status, code]);
        expect(res.headers['content-type']).toContain('application/problem+json');
      }
      expect(await snapshot()).toEqual(before);
    });

    it('POST /tickets: blank titles, half or text locations, bytes that are not UTF-8 and non-JSON types are refused, filing nothing', async () => {
      const manholeBytes = (bytes: Buffer) => {
        const [head, tail] = manhole().split('非法输入测试');
        return Buffer.concat([Buffer.from(head!), bytes, Buffer.from(tail!)]);
      };
      const post = (raw: string | Buffer, type = 'application/json') => t.request('POST', '/api/v1/tickets', { token: grid, raw, headers: { 'content-type': type } });
      // [name, answer, status, code, field, constraint]: each field error is bilingual, from validation-messages.ts.
      const cases: Array<[string, () => Promise<HttpResponse>, number, string, string?, string?]> = [
        ['title of spaces', () => post(manhole({ title: '    ' })), 400, 'VALIDATION_FAILED', 'title', 'hasLettersOrDigits'],
        ['title of zero-width spaces', () => post(manhole({ title: '\u200b\u200b\u200b' })), 400, 'VALIDATION_FAILED', 'title', 'hasLettersOrDigits'],
        ['title of spaces, ideographic space and zero-width joiners', () => post(manhole({ title: ' \u3000\u200d\u2060\ufeff ' })), 400, 'VALIDATION_FAILED', 'title', 'hasLettersOrDigits'],
        ['title of dots', () => post(manhole({ title: '....。' })), 400, 'VALIDATION_FAILED', 'title', 'hasLettersOrDigits'],
        ['reporter name of zero-width spaces', () => post(manhole({ reporter: { name: '\u200b\u200b', phone: '13800001111' } })), 400, 'VALIDATION_FAILED', 'reporter.name', 'hasLettersOrDigits'],
        ['lat without lng', () => post(manhole({ lng: undefined })), 400, 'VALIDATION_FAILED', 'lng', 'latLngTogether'],
        ['lng without lat', () => post(manhole({ lat: undefined })), 400, 'VALIDATION_FAILED', 'lat', 'latLngTogether'],
        ['lng null beside lat', () => post(manhole({ lng: null })), 400, 'VALIDATION_FAILED', 'lng', 'latLngTogether'],
        ['lat and lng as strings', () => post(manhole({ lat: '42.03', lng: '121.66' })), 400, 'VALIDATION_FAILED', 'lat', 'isNumber'],
        ['lng as a string', () => post(manhole({ lng: '121.66' })), 400, 'VALIDATION_FAILED', 'lng', 'isNumber'],
        ['bytes \\xff\\xfe in the title', () => post(manholeBytes(Buffer.from([0xff, 0xfe]))), 400, 'INVALID_UNICODE'],
        ['a truncated UTF-8 sequence in the title', () => post(manholeBytes(Buffer.from('井').subarray(0, 2))), 400, 'INVALID_UNICODE'],
        ['JSON sent as text/plain', () => post(manhole(), 'text/plain'), 415, 'UNSUPPORTED_MEDIA_TYPE'],
        ['JSON sent as text/plain; charset=utf-8', () => post(manhole(), 'text/plain; charset=utf-8'), 415, 'UNSUPPORTED_MEDIA_TYPE'],
        ['JSON sent as application/xml', () => post(manhole(), 'application/xml'), 415, 'UNSUPPORTED_MEDIA_TYPE'],
        ['a form', () => post('categoryCode=0101&title=x', 'application/x-www-form-urlencoded'), 415, 'UNSUPPORTED_MEDIA_TYPE'],
        ['a JPEG', () => post(JPEG, 'image/jpeg'), 415, 'UNSUPPORTED_MEDIA_TYPE'],
      ];
      const before = await snapshot();
      for (const [name, send, status, code, field, constraint] of cases) {
        const res = await send();
        expectProblem(res, status, code);
        expect([name, res.body.titleZh === res.body.title]).toEqual([name, false]);
        if (field) {
          expect([name, res.body.errors.find((e: { field: string }) => e.field === field)])
            .toEqual([name, expect.objectContaining({ field, constraint, en: expect.stringMatching(/^[\x20-\x7e]+$/), zh: expect.stringMatching(/[\u3400-\u9fff]/) })]);
        }
      }
      expect(await snapshot()).toEqual(before);
      const [title] = (await post(manhole({ title: '    ' }))).body.errors;
      expect(title).toEqual({
        field: 'title', constraint: 'hasLettersOrDigits', message: title.en,
        en: 'title must contain a letter or digit (spaces, invisible characters and punctuation alone are not text)', zh: 'title 须包含文字或数字（不能只有空格、不可见字符或标点）',
      });
      const half = (await post(manhole({ lng: undefined }))).body.errors;
      expect(half).toEqual([expect.objectContaining({ field: 'lng', constraint: 'latLngTogether', en: 'lng is missing: lat and lng go together', zh: '缺少 lng：经纬度须同时提供' })]);
      // Both halves as numbers, or neither, are filed; a one-character title that says something is a title.
      const both = await fileTicket(t, grid, { ...MANHOLE, title: '\u200b井' });
      expect([both.status, both.body.lat, both.body.lng]).toEqual([201, MANHOLE.lat, MANHOLE.lng]);
      const neither = await fileTicket(t, grid, { ...MANHOLE, title: '无坐标', lat: undefined, lng: undefined });
      expect([neither.status, neither.body.lat, neither.body.lng]).toEqual([201, null, null]);
    });

    it('POST /tickets: emoji in display text are accepted and kept intact', async () => {
      const res = await fileTicket(t, grid, { ...MANHOLE, title: '井盖缺失 🚧⚠️', description: '有人差点掉下去 😱', address: '电务小区🏠1号楼' });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ title: '井盖缺失 🚧⚠️', description: '有人差点掉下去 😱', address: '电务小区🏠1号楼' });
      expect((await t.request('GET', `/api/v1/tickets/${res.body.id}`, { token: dispatcher })).body.title).toBe('井盖缺失 🚧⚠️');
    });

    it('actions (dispatch, merge, verify, add-note): every class is a 4xx problem and changes nothing; emoji in a note are kept', async () => {
      const { body: ticket } = await fileTicket(t, grid, { ...MANHOLE, title: '动作非法输入' });
      const { body: other } = await fileTicket(t, grid, { ...MANHOLE, title: '动作非法输入 主单' });
      await mustAct(t, dispatcher, ticket.id, 'register');
      const v = (await snapshot(ticket.id)).ticket.version as number;
      const body = (over: Record<string, unknown>) => JSON.stringify({ expectedVersion: v, ...over });
      const cases: Array<[string, string, string, number, string]> = [
        ['dispatch', 'oversized note', body({ unitId: ids['FX-SZSS'], note: 'x'.repeat(2 * 1024 * 1024) }), 413, 'BODY_TOO_LARGE'],
        ['dispatch', 'deeply nested', `{"expectedVersion":${v},"unitId":"${ids['FX-SZSS']}","coUnitIds":${'['.repeat(40)}${']'.repeat(40)}}`, 400, 'JSON_TOO_DEEP'],
        ['dispatch', 'lone surrogate in the note', body({ unitId: ids['FX-SZSS'], note: 'X' }).replace('"X"', '"\\ud83d"'), 400, 'INVALID_UNICODE'],
        ['dispatch', 'NUL in the note', body({ unitId: ids['FX-SZSS'], note: 'a\u0000b' }), 400, 'NUL_BYTE'],
        ['dispatch', '__proto__ key', `{"expectedVersion":${v},"unitId":"${ids['FX-SZSS']}","__proto__":{"unitId":"x"}}`, 400, 'FORBIDDEN_KEY'],
        ['dispatch', 'unknown field', body({ unitId: ids['FX-SZSS'], priority: 'urgent' }), 400, 'VALIDATION_FAILED'],
        ['dispatch', 'unitId as a number', body({ unitId: 42 }), 400, 'VALIDATION_FAILED'],
        ['dispatch', 'coUnitIds as a string', body({ unitId: ids['FX-SZSS'], coUnitIds: ids['FX-WATER'] }), 400, 'VALIDATION_FAILED'],
        ['dispatch', 'handlerId not a uuid', body({ unitId: ids['FX-SZSS'], handlerId: 'demo.handler' }), 400, 'VALIDATION_FAILED'],
        ['dispatch', 'expectedVersion a fraction', body({ unitId: ids['FX-SZSS'], expectedVersion: v + 0.5 }), 400, 'VALIDATION_FAILED'],
        ['dispatch', 'expectedVersion a string', body({ unitId: ids['FX-SZSS'], expectedVersion: String(v) }), 400, 'VALIDATION_FAILED'],
        ['dispatch', 'emoji in the unit id', body({ unitId: '🚧' }), 400, 'VALIDATION_FAILED'],
        ['merge', 'parentId as an object', body({ parentId: { id: other.id } }), 400, 'VALIDATION_FAILED'],
        ['merge', 'SQL in parentId', body({ parentId: `${other.id}' OR '1'='1` }), 400, 'VALIDATION_FAILED'],
        ['merge', 'NUL in the reason', body({ parentId: other.id, reason: 'dup\u0000' }), 400, 'NUL_BYTE'],
        ['merge', 'a JSON array body', `[${body({ parentId: other.id })}]`, 400, 'VALIDATION_FAILED'],
        ['verify', 'passed as a string', body({ passed: 'true' }), 400, 'VALIDATION_FAILED'],
        ['add-note', 'note too long', body({ note: '备'.repeat(2001) }), 400, 'VALIDATION_FAILED'],
        ['add-note', 'note as an array', body({ note: ['a', 'b'] }), 400, 'VALIDATION_FAILED'],
        // Required text must say something: blanks, zero-width characters or punctuation alone are no text.
        ['add-note', 'note of zero-width spaces', body({ note: '\u200b\u200b\u200b' }), 400, 'INVALID_INPUT'],
        ['add-note', 'note of spaces and a word joiner', body({ note: '  \u2060  ' }), 400, 'INVALID_INPUT'],
        ['add-note', 'note of dots', body({ note: '……' }), 400, 'INVALID_INPUT'],
        ['supervise', 'reason of zero-width spaces', body({ reason: '\u200b\u200b' }), 422, 'REASON_REQUIRED'],
        ['supervise', 'reason of dots', body({ reason: '....' }), 422, 'REASON_REQUIRED'],
        ['supervise', 'reason and note of punctuation', body({ reason: '！？', note: ' 。' }), 422, 'REASON_REQUIRED'],
      ];
      const before = await snapshot(ticket.id);
      for (const [action, name, raw, status, code] of cases) {
        const res = await json(dispatcher, `/api/v1/tickets/${ticket.id}/actions/${action}`, raw);
        expect([action, name, res.status, res.body?.code]).toEqual([action, name, status, code]);
        expect(res.headers['content-type']).toContain('application/problem+json');
      }
      expect(await snapshot(ticket.id)).toEqual(before);
      const noted = await mustAct(t, dispatcher, ticket.id, 'add-note', { note: '已电话联系 📞 居民' });
      expect(noted.version).toBe(v + 1);
      expect((await timeline(ticket.id)).at(-1)).toMatchObject({ action: 'add-note', note: '已电话联系 📞 居民' });
    });
  });

  describe('materials and attachments: only those who act on the ticket, only while it is open 材料与附件', () => {
    const upload = (token: string, id: string) => t.request('POST', `/api/v1/tickets/${id}/attachments`, { token, raw: JPEG, headers: { 'content-type': 'image/jpeg' } });
    const materials = async (token: string, id: string, provided: string[]) => {
      const version = (await snapshot(id)).ticket.version;
      return t.request('POST', `/api/v1/tickets/${id}/materials`, { token, body: { expectedVersion: version, provided } });
    };
    const fileService = async (title: string) => (await fileTicket(t, grid, {
      categoryCode: 'CS02', title, description: '87岁老人行动不便', channel: 'patrol', attributes: { serviceType: 'home_visit' }, materialsProvided: ['居民身份证'],
    })).body as { id: string };

    it('an official (read-only), another grid worker or a handler of a co-unit may not change materials; the filer, the lead unit and a dispatcher may', async () => {
      const clerk = await user('hz.service2', 'handler', '210902', 'HZ-BMFW');
      const neighbour = await user('dw.grid3', 'grid_worker', '210902001001001');
      const id = (await fileService('材料权限测试')).id;
      await mustAct(t, dispatcher, id, 'register');
      await mustAct(t, dispatcher, id, 'dispatch', { unitId: ids['HZ-BMFW'], coUnitIds: [ids['FX-SZSS']] });
      const before = await snapshot(id);
      expectProblem(await materials(official, id, ['居民身份证', '户口簿']), 403, 'NOT_TICKET_PARTICIPANT');
      expectProblem(await materials(neighbour, id, ['居民身份证', '户口簿']), 403, 'NOT_TICKET_PARTICIPANT');
      expectProblem(await materials(handler, id, ['居民身份证', '户口簿']), 403, 'NOT_TICKET_PARTICIPANT');
      expectProblem(await upload(official, id), 403, 'NOT_TICKET_PARTICIPANT');
      expectProblem(await upload(neighbour, id), 403, 'NOT_TICKET_PARTICIPANT');
      expect(await snapshot(id)).toEqual(before);
      for (const token of [grid, clerk, dispatcher]) expect((await materials(token, id, ['居民身份证'])).status).toBe(200);
      // A co-unit's handler works on the case: photos yes (materials no, above).
      for (const token of [grid, clerk, dispatcher, handler]) expect((await upload(token, id)).status).toBe(201);
    });

    it('nothing changes once the ticket has ended (closed, voided, cancelled, merged): 409 TICKET_NOT_OPEN', async () => {
      const clerk = await t.login('hz.service2', 'Staff@2026!x');
      const closed = (await fileService('已结案材料测试')).id;
      await mustAct(t, dispatcher, closed, 'register');
      await mustAct(t, dispatcher, closed, 'dispatch', { unitId: ids['HZ-BMFW'] });
      await mustAct(t, clerk, closed, 'sign');
      const category = (await t.request('GET', '/api/v1/categories/CS02', { token: dispatcher })).body;
      expect((await materials(clerk, closed, category.materials)).status).toBe(200);
      await mustAct(t, clerk, closed, 'resolve', { note: '已核查' });
      // Waiting for on-site verification, any grid worker of the grid may add the verification photo.
      const neighbour = await t.login('dw.grid3', 'Staff@2026!x');
      expect((await upload(neighbour, closed)).status).toBe(201);
      await mustAct(t, neighbour, closed, 'verify', { passed: true });

      const voided = (await fileService('作废材料测试')).id;
      await mustAct(t, dispatcher, voided, 'void', { reason: '不属于便民服务范围' });
      const cancelled = (await fileService('撤销材料测试')).id;
      await mustAct(t, grid, cancelled, 'cancel');
      const merged = (await fileService('并单材料测试')).id;
      await mustAct(t, dispatcher, merged, 'merge', { parentId: (await fileService('并单主单')).id });

      for (const id of [closed, voided, cancelled, merged]) {
        const before = await snapshot(id);
        expectProblem(await materials(dispatcher, id, ['居民身份证']), 409, 'TICKET_NOT_OPEN');
        expectProblem(await materials(grid, id, ['居民身份证']), 409, 'TICKET_NOT_OPEN');
        expectProblem(await upload(dispatcher, id), 409, 'TICKET_NOT_OPEN');
        expectProblem(await upload(grid, id), 409, 'TICKET_NOT_OPEN');
        expect(await snapshot(id)).toEqual(before);
      }
      // Still 403 before 409 for someone who may never change it.
      expectProblem(await upload(official, closed), 403, 'NOT_TICKET_PARTICIPANT');
    });
  });

  describe('numbers past 999,999 a day 工单编号', () => {
    it('widen to seven digits instead of truncating into a duplicate', async () => {
      await t.ds.query(
        `INSERT INTO ticket_number_counters (day, last) VALUES ((now() AT TIME ZONE 'Asia/Shanghai')::date, 999999)
         ON CONFLICT (day) DO UPDATE SET last = 999999`);
      const [a, b] = await Promise.all([fileTicket(t, grid, { ...MANHOLE, title: '编号百万 1' }), fileTicket(t, grid, { ...MANHOLE, title: '编号百万 2' })]);
      expect([a.status, b.status]).toEqual([201, 201]);
      const numbers = [a.body.number, b.body.number].sort();
      expect(numbers[0]).toMatch(/^FX-\d{8}-1000000$/);
      expect(numbers[1]).toMatch(/^FX-\d{8}-1000001$/);
      const c = await fileTicket(t, grid, { ...MANHOLE, title: '编号百万 3' });
      expect(c.body.number).toMatch(/^FX-\d{8}-1000002$/);
      const [{ last }] = await t.ds.query(`SELECT last FROM ticket_number_counters WHERE day = (now() AT TIME ZONE 'Asia/Shanghai')::date`);
      expect(last).toBe(1000002);
    });
  });
});
