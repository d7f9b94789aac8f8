import { createTestApp, type TestApp } from '../support/test-app';
import { JPEG, MANHOLE, act, codeIds, fileTicket, mustAct } from '../support/tickets';

describe('tickets: the manhole story and the rules around it 工单', () => {
  let t: TestApp;
  let ids: Record<string, string>;
  let grid: string;
  let dispatcher: string;
  let handler: string;

  beforeAll(async () => {
    t = await createTestApp();
    ids = await codeIds(t);
    [grid, dispatcher, handler] = await Promise.all(['demo.grid', 'demo.dispatcher', 'demo.handler'].map((u) => t.login(u)));
  });
  afterAll(async () => { await t.close(); });

  it('a missing cover is filed, registered, dispatched, signed, resolved with a photo, verified and closed', async () => {
    const filed = await fileTicket(t, grid, MANHOLE, 'manhole-story-0001');
    expect(filed.status).toBe(201);
    const ticket = filed.body;
    expect(ticket.number).toMatch(/^FX-\d{8}-\d{6}$/);
    expect(ticket).toMatchObject({ status: 'reported', platform: 'community_governance', categoryCode: '0101', priority: 'urgent', version: 1, channel: 'patrol' });
    expect(ticket.gridNodeId).toBe(ids['210902001001001']);
    expect(ticket.reporter).toEqual({ name: '张**', phone: '138****2345' });

    await mustAct(t, dispatcher, ticket.id, 'register', { note: '符合立案条件' });
    const dispatched = await mustAct(t, dispatcher, ticket.id, 'dispatch', { unitId: ids['FX-SZSS'] });
    expect(dispatched).toMatchObject({ status: 'dispatched', unitId: ids['FX-SZSS'] });
    const signed = await mustAct(t, handler, ticket.id, 'sign');
    expect(signed.status).toBe('in_progress');
    const resolveClock = signed.clocks.find((c: { stage: string; state: string }) => c.stage === 'resolve' && c.state === 'running');
    expect(resolveClock.clockType).toBe('natural');
    // 缺失 is urgent on natural time: at most 4 hours from dispatch.
    expect(Date.parse(resolveClock.deadline) - Date.parse(dispatched.dispatchedAt)).toBe(4 * 3600 * 1000);

    const photo = await t.request('POST', `/api/v1/tickets/${ticket.id}/attachments`, { token: handler, raw: JPEG, headers: { 'content-type': 'image/jpeg' } });
    expect(photo.status).toBe(201);
    const resolved = await mustAct(t, handler, ticket.id, 'resolve', { note: '已更换新井盖', attachmentIds: [photo.body.id] });
    expect(resolved.status).toBe('resolved');
    const closed = await mustAct(t, grid, ticket.id, 'verify', { passed: true, note: '现场核查，井盖已安装' });
    expect(closed.status).toBe('closed');
    expect(closed.closedAt).toBeTruthy();

    const timeline = (await t.request('GET', `/api/v1/tickets/${ticket.id}/events`, { token: dispatcher })).body;
    expect(timeline.map((e: { action: string; actorName: string; to: string }) => [e.action, e.actorName, e.to])).toEqual([
      ['file', '电务社区1号楼楼长', 'reported'],
      ['register', '海州区调度员', 'registered'],
      ['dispatch', '海州区调度员', 'dispatched'],
      ['sign', '市政设施承办人', 'in_progress'],
      ['resolve', '市政设施承办人', 'resolved'],
      ['verify', '电务社区1号楼楼长', 'closed'],
    ]);
    for (const e of timeline) expect(Date.parse(e.at)).toBeGreaterThan(0);
    // The resolve event carries its photo (SPEC §5: an event has actor, time, from, to, note, attachments).
    expect(timeline.map((e: { attachments: Array<{ id: string }> }) => e.attachments.map((a) => a.id))).toEqual([[], [], [], [], [photo.body.id], []]);
    expect(timeline[4].attachments[0]).toMatchObject({ contentType: photo.body.contentType, sizeBytes: photo.body.sizeBytes });
    const attachments = (await t.request('GET', `/api/v1/tickets/${ticket.id}/attachments`, { token: grid })).body;
    expect(attachments).toHaveLength(1);
    expect(attachments[0].eventId).toBeTruthy();
    const bytes = await t.request('GET', `/api/v1/tickets/${ticket.id}/attachments/${photo.body.id}`, { token: grid });
    expect(bytes.headers['content-type']).toBe('image/jpeg');
    expect(Buffer.from(bytes.text, 'latin1').length).toBeGreaterThan(0);
    const missing = await t.request('GET', `/api/v1/tickets/${ticket.id}/attachments/00000000-0000-4000-8000-000000000000`, { token: grid });
    expect([missing.status, missing.body.code]).toEqual([404, 'ATTACHMENT_NOT_FOUND']);
    const full = await t.request('GET', `/api/v1/tickets/${ticket.id}`, { token: grid });
    expect(full.body.timeline).toHaveLength(6);
    expect(full.body.clocks.every((c: { state: string }) => c.state === 'stopped')).toBe(true);
  });

  it('refuses stale versions and illegal transitions with 409, changing nothing', async () => {
    const { body: ticket } = await fileTicket(t, grid, { ...MANHOLE, title: '另一处井盖缺失' });
    const stale = await t.request('POST', `/api/v1/tickets/${ticket.id}/actions/register`, { token: dispatcher, body: { expectedVersion: 7 } });
    expect(stale.status).toBe(409);
    expect(stale.body.code).toBe('STALE_VERSION');
    const illegal = await t.request('POST', `/api/v1/tickets/${ticket.id}/actions/sign`, { token: handler, body: { expectedVersion: 1 } });
    expect([404, 409]).toContain(illegal.status);
    const wrongRole = await t.request('POST', `/api/v1/tickets/${ticket.id}/actions/register`, { token: grid, body: { expectedVersion: 1 } });
    expect(wrongRole.status).toBe(403);
    // Authorisation before concurrency: a stale version does not turn a role's 403 into "reload and try again".
    const wrongRoleStale = await t.request('POST', `/api/v1/tickets/${ticket.id}/actions/register`, { token: grid, body: { expectedVersion: 7 } });
    expect([wrongRoleStale.status, wrongRoleStale.body.code]).toEqual([403, 'FORBIDDEN_ROLE']);
    const unknown = await t.request('POST', `/api/v1/tickets/${ticket.id}/actions/teleport`, { token: dispatcher, body: { expectedVersion: 1 } });
    expect(unknown.status).toBe(404);
    const after = await t.request('GET', `/api/v1/tickets/${ticket.id}`, { token: dispatcher });
    expect(after.body).toMatchObject({ status: 'reported', version: 1 });
    expect(after.body.timeline).toHaveLength(1);
    const noReason = await act(t, dispatcher, ticket.id, 'void');
    expect(noReason.status).toBe(422);
  });

  it('one winner among conflicting concurrent actions', async () => {
    const { body: ticket } = await fileTicket(t, grid, { ...MANHOLE, title: '并发测试井盖' });
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => t.request('POST', `/api/v1/tickets/${ticket.id}/actions/${i % 2 ? 'register' : 'void'}`, {
      token: dispatcher, body: { expectedVersion: 1, reason: '并发' },
    })));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(11);
    const events = (await t.request('GET', `/api/v1/tickets/${ticket.id}/events`, { token: dispatcher })).body;
    expect(events).toHaveLength(2);
  });

  it('parallel retries with one Idempotency-Key create one ticket', async () => {
    const before = (await t.ds.query(`SELECT count(*)::int AS n FROM tickets`))[0].n;
    const body = { ...MANHOLE, title: '幂等测试' };
    const results = await Promise.all(Array.from({ length: 10 }, () => fileTicket(t, grid, body, 'idem-key-parallel-01')));
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 200)).toHaveLength(9);
    expect((await t.ds.query(`SELECT count(*)::int AS n FROM tickets`))[0].n).toBe(before + 1);
    const reused = await fileTicket(t, grid, { ...body, title: '不同内容' }, 'idem-key-parallel-01');
    expect(reused.status).toBe(422);
    expect(reused.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect((await fileTicket(t, grid, body, 'short')).status).toBe(400);
  });

  it('numbers have no gaps under concurrency', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => fileTicket(t, grid, { ...MANHOLE, title: `编号测试 ${i}` })));
    expect(results.every((r) => r.status === 201)).toBe(true);
    const all: Array<{ number: string }> = await t.ds.query(`SELECT number FROM tickets ORDER BY number`);
    const seqs = all.map((r) => Number(r.number.slice(-6)));
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
  });

  it('concurrent filings share transactions (group commit), yet one filing\'s error is only its own', async () => {
    const taken = await fileTicket(t, grid, { ...MANHOLE, title: '批量提交 键' }, 'group-commit-key-01');
    expect(taken.status).toBe(201);
    const results = await Promise.all([
      ...Array.from({ length: 12 }, (_, i) => fileTicket(t, grid, { ...MANHOLE, title: `批量提交 ${i}` })),
      fileTicket(t, grid, { ...MANHOLE, title: '批量提交 另一内容' }, 'group-commit-key-01'),
    ]);
    expect(results.slice(0, 12).every((r) => r.status === 201)).toBe(true);
    expect([results[12]!.status, results[12]!.body.code]).toEqual([422, 'IDEMPOTENCY_KEY_REUSED']);
    const ids = results.slice(0, 12).map((r) => r.body.id as string);
    const rows: Array<{ number: string; created_at: Date }> = await t.ds.query(`SELECT number, created_at FROM tickets WHERE id = ANY($1::uuid[])`, [ids]);
    expect(new Set(rows.map((r) => r.number)).size).toBe(12);
    // Tickets of one batch were inserted by one transaction, so they share its time.
    expect(new Set(rows.map((r) => r.created_at.getTime())).size).toBeLessThan(12);
    for (const r of results.slice(0, 12)) {
      expect(r.body.clocks).toEqual([expect.objectContaining({ stage: 'register', state: 'running' })]);
      expect(r.body.number).toMatch(/^FX-\d{8}-\d{6}$/);
    }
    const all: Array<{ number: string }> = await t.ds.query(`SELECT number FROM tickets ORDER BY number`);
    expect(all.map((r) => Number(r.number.slice(-6)))).toEqual(Array.from({ length: all.length }, (_, i) => i + 1));
  });

  it('masks personal data everywhere and reveals it only with a reason, audited', async () => {
    const { body: ticket } = await fileTicket(t, grid, { ...MANHOLE, title: '隐私测试', reporter: { name: '李秀英', phone: '13900001111' } });
    const [row] = await t.ds.query(`SELECT reporter_name_enc, reporter_phone_enc FROM tickets WHERE id = $1`, [ticket.id]);
    expect(JSON.stringify(row)).not.toMatch(/13900001111|李秀英/);
    const responses = [
      JSON.stringify(ticket),
      (await t.request('GET', `/api/v1/tickets/${ticket.id}`, { token: dispatcher })).text,
      (await t.request('GET', '/api/v1/tickets?limit=100', { token: dispatcher })).text,
      (await t.request('GET', `/api/v1/tickets/${ticket.id}/events`, { token: dispatcher })).text,
      (await act(t, dispatcher, ticket.id, 'register')).text,
    ];
    for (const text of responses) {
      expect(text).not.toContain('13900001111');
      expect(text).not.toContain('李秀英');
    }
    expect(responses[1]).toContain('139****1111');
    const noReason = await t.request('POST', `/api/v1/tickets/${ticket.id}/reveal`, { token: dispatcher, body: {} });
    expect(noReason.status).toBe(400);
    const gridReveal = await t.request('POST', `/api/v1/tickets/${ticket.id}/reveal`, { token: grid, body: { reason: '想看看' } });
    expect(gridReveal.status).toBe(403);
    const reveal = await t.request('POST', `/api/v1/tickets/${ticket.id}/reveal`, { token: dispatcher, body: { reason: '回访居民需要联系电话' }, headers: { 'x-request-id': 'reveal-1' } });
    expect(reveal.status).toBe(200);
    expect(reveal.body.reporter).toEqual({ name: '李秀英', phone: '13900001111' });
    const audit = await t.ds.query(`SELECT actor_username, target, details FROM audit_log WHERE action = 'pii.reveal'`);
    expect(audit).toEqual([{ actor_username: 'demo.dispatcher', target: ticket.id, details: { reason: '回访居民需要联系电话', ticketNumber: ticket.number } }]);
    const auditText = JSON.stringify(await t.ds.query(`SELECT * FROM audit_log`));
    expect(auditText).not.toContain('13900001111');
  });

  it('a reveal needs a reason that says something: blanks, dots and zero-width characters reveal nothing and are not audited', async () => {
    const { body: ticket } = await fileTicket(t, grid, { ...MANHOLE, title: '理由测试', reporter: { name: '王淑芬', phone: '13900002222' } });
    const reveals = async () => (await t.ds.query(`SELECT details FROM audit_log WHERE action = 'pii.reveal' AND target = $1`, [ticket.id])).map((r: { details: unknown }) => r.details);
    for (const reason of ['    ', '....', '  \u200b\u200b ', '\u200b\u200c\u200d\u2060\ufeff', '。，！？', '-_-', 'a', ' 核 ', '\u200b核\u200b.', '🙂🙂']) {
      const res = await t.request('POST', `/api/v1/tickets/${ticket.id}/reveal`, { token: dispatcher, body: { reason } });
      expect([JSON.stringify(reason), res.status, res.body.code]).toEqual([JSON.stringify(reason), 400, 'VALIDATION_FAILED']);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body.errors).toEqual([{
        field: 'reason', constraint: 'hasLettersOrDigits', message: res.body.errors[0].en,
        en: 'reason must contain at least 2 letters or digits (spaces, invisible characters and punctuation do not count)',
        zh: 'reason 须包含至少 2 个文字或数字（空格、不可见字符和标点不计）',
      }]);
      expect(res.text).not.toMatch(/王淑芬|13900002222/);
    }
    expect(await reveals()).toEqual([]);
    // Two letters or digits of any script are a reason (Chinese needs no more than 核实).
    for (const reason of ['核实', 'test', ' 回访 ', '\u200b核实\u200b', 'A1']) {
      const res = await t.request('POST', `/api/v1/tickets/${ticket.id}/reveal`, { token: dispatcher, body: { reason } });
      expect([reason, res.status, res.body.reporter]).toEqual([reason, 200, { name: '王淑芬', phone: '13900002222' }]);
    }
    expect((await reveals()).map((d: { reason: string }) => d.reason).sort()).toEqual(['核实', 'test', ' 回访 ', '\u200b核实\u200b', 'A1'].sort());
  });

  it('attachments download with the stored type, nosniff, and as a file unless an image; the upload answers the stored createdAt', async () => {
    const { body: ticket } = await fileTicket(t, grid, { ...MANHOLE, title: '附件下载测试' });
    const photo = await t.request('POST', `/api/v1/tickets/${ticket.id}/attachments`, { token: grid, raw: JPEG, headers: { 'content-type': 'image/jpeg' } });
    expect(photo.status).toBe(201);
    // A PDF signature with HTML and script inside: stored as a PDF (no content scanner), served so no browser renders it.
    const pdf = Buffer.from('%PDF-1.4\n<html><script>alert(document.cookie)</script></html>\n%%EOF\n', 'latin1');
    const doc = await t.request('POST', `/api/v1/tickets/${ticket.id}/attachments`, { token: grid, raw: pdf, headers: { 'content-type': 'application/pdf' } });
    expect([doc.status, doc.body.contentType]).toEqual([201, 'application/pdf']);

    // The upload's createdAt is the stored one (RETURNING), equal to what the list shows.
    const listed = (await t.request('GET', `/api/v1/tickets/${ticket.id}/attachments`, { token: grid })).body;
    const byId = Object.fromEntries(listed.map((a: { id: string; createdAt: string }) => [a.id, a.createdAt]));
    expect([byId[photo.body.id], byId[doc.body.id]]).toEqual([photo.body.createdAt, doc.body.createdAt]);
    const [stored] = await t.ds.query(`SELECT created_at FROM attachments WHERE id = $1`, [doc.body.id]);
    expect(doc.body.createdAt).toBe(stored.created_at.toISOString());

    const image = await t.request('GET', `/api/v1/tickets/${ticket.id}/attachments/${photo.body.id}`, { token: grid });
    expect(image.status).toBe(200);
    expect(image.headers).toMatchObject({
      'content-type': 'image/jpeg', 'x-content-type-options': 'nosniff', 'content-disposition': `inline; filename="${photo.body.id}.jpg"`,
    });
    const file = await t.request('GET', `/api/v1/tickets/${ticket.id}/attachments/${doc.body.id}`, { token: grid });
    expect(file.status).toBe(200);
    expect(file.headers).toMatchObject({
      'content-type': 'application/pdf', 'x-content-type-options': 'nosniff', 'content-disposition': `attachment; filename="${doc.body.id}.pdf"`,
      'cache-control': 'private, no-store',
    });
    expect(Buffer.from(file.text, 'latin1').equals(pdf)).toBe(true);
  });

  it('keeps media links (the filer\'s own photos elsewhere) as filed; a link that is not plain http(s) is refused, naming it', async () => {
    const links = ['https://12345.fuxin.gov.cn/media/2026/11/27/a1.jpg', 'http://app.example.org/v/7.mp4?t=3'];
    const filed = await fileTicket(t, grid, { ...MANHOLE, title: '媒体链接测试', mediaUrls: [...links, links[0]] });
    expect([filed.status, filed.body.mediaUrls]).toEqual([201, links]);
    expect((await t.request('GET', `/api/v1/tickets/${filed.body.id}`, { token: dispatcher })).body.mediaUrls).toEqual(links);
    const plain = await fileTicket(t, grid, { ...MANHOLE, title: '无媒体链接' });
    expect(plain.body.mediaUrls).toEqual([]);

    const before = (await t.ds.query(`SELECT count(*)::int AS n FROM tickets`))[0].n;
    for (const bad of ['javascript:alert(1)', 'https://user:pw@example.org/a.jpg', 'file:///etc/passwd', 'https://example.org/照片.jpg', 'ftp://example.org/a.jpg',
      'https://app.example.org/u/13841812345/a.jpg']) { // a mobile number: a link cannot be masked, so it is refused
      const refused = await fileTicket(t, grid, { ...MANHOLE, title: '坏链接', mediaUrls: [bad] });
      expect([bad, refused.status, refused.body.errors?.[0]]).toEqual([bad, 400, expect.objectContaining({
        field: 'mediaUrls', constraint: 'isMediaUrl', zh: expect.stringContaining('须为不含用户名、密码和个人信息（电话、身份证号、邮箱）的 http(s) 网址'),
      })]);
    }
    const tooMany = await fileTicket(t, grid, { ...MANHOLE, title: '链接过多', mediaUrls: Array.from({ length: 11 }, (_, i) => `https://example.org/${i}.jpg`) });
    expect([tooMany.status, tooMany.body.errors?.[0]?.constraint]).toEqual([400, 'arrayMaxSize']);
    expect((await t.ds.query(`SELECT count(*)::int AS n FROM tickets`))[0].n).toBe(before);
  });

  it("scopes tickets: another district's dispatcher gets 404, the unit's handler sees only its tickets", async () => {
    const admin = await t.login('demo.admin');
    await t.request('POST', '/api/v1/admin/users', {
      token: admin, body: { username: 'xh.dispatch2', displayName: '细河调度', role: 'dispatcher', scopeNodeId: ids['210911'], unitId: ids['XH-CC'], password: 'Xihe@2026!!' },
    });
    const xh = await t.login('xh.dispatch2', 'Xihe@2026!!');
    const { body: ticket } = await fileTicket(t, grid, { ...MANHOLE, title: '范围测试' });
    expect((await t.request('GET', `/api/v1/tickets/${ticket.id}`, { token: xh })).status).toBe(404);
    expect((await t.request('POST', `/api/v1/tickets/${ticket.id}/actions/register`, { token: xh, body: { expectedVersion: 1 } })).status).toBe(404);
    const list = (await t.request('GET', '/api/v1/tickets', { token: xh })).body;
    expect(list.items).toEqual([]);
    expect((await t.request('GET', `/api/v1/tickets/${ticket.id}`, { token: handler })).status).toBe(404);
    const official = await t.login('demo.official');
    expect((await t.request('GET', `/api/v1/tickets/${ticket.id}`, { token: official })).status).toBe(200);
    const auditor = await t.login('demo.auditor');
    expect((await t.request('GET', `/api/v1/tickets/${ticket.id}`, { token: auditor })).status).toBe(403);
    expect((await fileTicket(t, grid, { ...MANHOLE, gridNodeId: ids['210911001'] })).status).toBe(422);
  });

  it('lists with filters, Chinese text search and cursor paging', async () => {
    const search = await t.request('GET', `/api/v1/tickets?q=${encodeURIComponent('人行道')}&limit=100`, { token: dispatcher });
    expect(search.status).toBe(200);
    expect(search.body.items.length).toBeGreaterThan(0);
    expect(search.body.items.every((i: { description: string; title: string }) => (i.title + i.description).includes('人行道'))).toBe(true);
    const none = await t.request('GET', `/api/v1/tickets?q=${encodeURIComponent('不存在的词语')}`, { token: dispatcher });
    expect(none.body.items).toEqual([]);
    // A phone typed into the text is masked in every answer, and search cannot probe its hidden digits either.
    const { body: withPhone } = await fileTicket(t, grid, { ...MANHOLE, title: '井盖缺失请回电', description: '联系人电话13851234567，人在楼下等候' });
    const found = async (q: string) => ((await t.request('GET', `/api/v1/tickets?limit=100&q=${encodeURIComponent(q)}`, { token: dispatcher })).body.items as Array<{ id: string }>)
      .some((i) => i.id === withPhone.id);
    expect(await found('人在楼下等候')).toBe(true);
    expect(await found('138****4567')).toBe(true); // what the reader is shown
    for (const probe of ['1385', '13851', '385123', '13851234567', '5123']) expect({ probe, found: await found(probe) }).toEqual({ probe, found: false });
    const closed = await t.request('GET', '/api/v1/tickets?status=closed', { token: dispatcher });
    expect(closed.body.items.every((i: { status: string }) => i.status === 'closed')).toBe(true);
    expect(closed.body.items.length).toBeGreaterThan(0);
    const seen = new Set<string>();
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { body: { items: Array<{ id: string }>; nextCursor: string | null } } = await t.request('GET', `/api/v1/tickets?limit=7${cursor ? `&cursor=${cursor}` : ''}`, { token: dispatcher });
      for (const i of page.body.items) { expect(seen.has(i.id)).toBe(false); seen.add(i.id); }
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor && pages < 50);
    const total = (await t.ds.query(`SELECT count(*)::int AS n FROM tickets`))[0].n;
    expect(seen.size).toBe(total);
    expect((await t.request('GET', '/api/v1/tickets?cursor=%27%20OR%201%3D1', { token: dispatcher })).status).toBe(400);
    expect((await t.request('GET', '/api/v1/tickets?status=flying', { token: dispatcher })).status).toBe(400);
    expect((await t.request('GET', `/api/v1/tickets?platform=community_governance&channel=patrol&gridNodeId=${ids['210902001']}&overdue=false`, { token: dispatcher })).status).toBe(200);
  });

  it('list filters overdue, unitId, categoryCode and gridNodeId return only matching tickets', async () => {
    type Item = { id: string; unitId: string | null; categoryCode: string; gridNodeId: string; clocks: Array<{ state: string; overdue: boolean }> };
    const list = async (query: string): Promise<Item[]> => {
      const res = await t.request('GET', `/api/v1/tickets?limit=200&${query}`, { token: dispatcher });
      expect([query, res.status]).toEqual([query, 200]);
      return res.body.items;
    };
    const late = (i: Item) => i.clocks.some((c) => c.state !== 'stopped' && c.overdue);
    // One ticket at grid 1, category 0101, with 市政设施 and overdue; one at grid 2, category SJ0101, with 自来水公司.
    const { body: a } = await fileTicket(t, grid, { ...MANHOLE, title: '筛选测试 甲' });
    await mustAct(t, dispatcher, a.id, 'register');
    await mustAct(t, dispatcher, a.id, 'dispatch', { unitId: ids['FX-SZSS'] });
    await t.ds.query(`UPDATE ticket_clocks SET deadline = now() - interval '1 hour' WHERE ticket_id = $1 AND state = 'running'`, [a.id]);
    const { body: b } = await fileTicket(t, dispatcher, {
      categoryCode: 'SJ0101', title: '筛选测试 乙', description: '路边暴露垃圾', channel: 'hotline', gridNodeId: ids['210902001001002'],
    });
    expect(b.categoryCode).toBe('SJ0101');
    await mustAct(t, dispatcher, b.id, 'register');
    await mustAct(t, dispatcher, b.id, 'dispatch', { unitId: ids['FX-WATER'] });
    const has = (items: Item[], id: string) => items.some((i) => i.id === id);

    const overdue = await list('overdue=true');
    expect(has(overdue, a.id) && !has(overdue, b.id)).toBe(true);
    expect(overdue.every(late)).toBe(true);
    const onTime = await list('overdue=false');
    expect(!has(onTime, a.id) && has(onTime, b.id)).toBe(true);
    expect(onTime.some(late)).toBe(false);

    const szss = await list(`unitId=${ids['FX-SZSS']}`);
    expect(has(szss, a.id) && !has(szss, b.id)).toBe(true);
    expect(szss.every((i) => i.unitId === ids['FX-SZSS'])).toBe(true);
    const water = await list(`unitId=${ids['FX-WATER']}`);
    expect(water.map((i) => i.id)).toEqual([b.id]);

    const manholes = await list('categoryCode=0101');
    expect(has(manholes, a.id) && !has(manholes, b.id)).toBe(true);
    expect(manholes.every((i) => i.categoryCode === '0101')).toBe(true);
    const litter = await list('categoryCode=SJ0101');
    expect(litter.map((i) => i.id)).toEqual([b.id]);
    expect(await list('categoryCode=01')).toEqual([]); // a 大类 code is not a prefix filter

    const subtree = async (code: string): Promise<Set<string>> => new Set((await t.ds.query(
      `SELECT g.id FROM grid_nodes g, grid_nodes r WHERE r.code = $1 AND g.path <@ r.path`, [code]) as Array<{ id: string }>).map((r) => r.id));
    const grid1 = await subtree('210902001001001');
    const inGrid1 = await list(`gridNodeId=${ids['210902001001001']}`);
    expect(has(inGrid1, a.id) && !has(inGrid1, b.id)).toBe(true);
    expect(inGrid1.every((i) => grid1.has(i.gridNodeId))).toBe(true);
    const grid2 = await list(`gridNodeId=${ids['210902001001002']}`);
    expect(grid2.map((i) => i.id)).toEqual([b.id]);
    const community = await subtree('210902001001');
    const inCommunity = await list(`gridNodeId=${ids['210902001001']}`);
    expect(has(inCommunity, a.id) && has(inCommunity, b.id)).toBe(true);
    expect(inCommunity.every((i) => community.has(i.gridNodeId))).toBe(true);

    // Filters combine (AND).
    const both = await list(`unitId=${ids['FX-SZSS']}&categoryCode=0101&gridNodeId=${ids['210902001001001']}&overdue=true`);
    expect(both.map((i) => i.id)).toEqual([a.id]);
    expect(await list(`unitId=${ids['FX-WATER']}&categoryCode=0101`)).toEqual([]);
  });

  it('a suspended ticket is overdue only if its deadline had passed when the clock was paused (the deadline moves on at resume)', async () => {
    const suspended = async (title: string) => {
      const { body } = await fileTicket(t, grid, { ...MANHOLE, title });
      await mustAct(t, dispatcher, body.id, 'register');
      await mustAct(t, dispatcher, body.id, 'dispatch', { unitId: ids['FX-SZSS'] });
      await mustAct(t, handler, body.id, 'sign');
      await mustAct(t, dispatcher, body.id, 'suspend', { reason: '等待井盖到货' });
      return body.id as string;
    };
    const resolveOf = async (id: string) => (await t.request('GET', `/api/v1/tickets/${id}`, { token: dispatcher })).body.clocks
      .find((c: { stage: string; state: string }) => c.stage === 'resolve' && c.state === 'paused');
    const listed = async (id: string, overdue: boolean) => ((await t.request('GET', `/api/v1/tickets?limit=200&overdue=${overdue}`, { token: dispatcher })).body.items as Array<{ id: string }>).some((i) => i.id === id);
    // Paused on time, its old deadline now past: not overdue.
    const onTime = await suspended('挂起测试 甲');
    await t.ds.query(`UPDATE ticket_clocks SET deadline = paused_at + interval '1 second', paused_at = paused_at - interval '1 hour' WHERE ticket_id = $1 AND state = 'paused'`, [onTime]);
    await t.ds.query(`UPDATE ticket_clocks SET deadline = now() - interval '30 minutes' WHERE ticket_id = $1 AND state = 'paused'`, [onTime]);
    expect(await resolveOf(onTime)).toMatchObject({ state: 'paused', overdue: false });
    expect([await listed(onTime, true), await listed(onTime, false)]).toEqual([false, true]);
    // Paused when already late: overdue.
    const late = await suspended('挂起测试 乙');
    await t.ds.query(`UPDATE ticket_clocks SET deadline = paused_at - interval '1 minute' WHERE ticket_id = $1 AND state = 'paused'`, [late]);
    expect(await resolveOf(late)).toMatchObject({ state: 'paused', overdue: true });
    expect([await listed(late, true), await listed(late, false)]).toEqual([true, false]);
  });

  it('suggests likely duplicates; a merged duplicate follows its parent to closure', async () => {
    const first = (await fileTicket(t, grid, { ...MANHOLE, title: '3号楼东侧雨水井盖缺失', description: '3号楼东侧井盖缺失', lat: 42.0266, lng: 121.6606 })).body;
    const second = await fileTicket(t, grid, { ...MANHOLE, title: '3号楼东侧井盖丢失', description: '3号楼东侧井盖缺失了', lat: 42.02662, lng: 121.66062 });
    expect(second.body.duplicateSuggestions.map((d: { id: string }) => d.id)).toContain(first.id);
    // Only into a ticket of the same platform: a 12345 request about the same cover is not its duplicate to end with.
    const request = (await fileTicket(t, dispatcher, {
      categoryCode: 'RH0101', title: '3号楼东侧井盖缺失投诉', description: '居民来电反映井盖缺失', channel: 'hotline', attributes: { requestType: 'complaint' },
    })).body;
    const across = await act(t, dispatcher, request.id, 'merge', { parentId: first.id });
    expect([across.status, across.body.code]).toEqual([422, 'MERGE_ACROSS_PLATFORMS']);
    expect((await t.request('GET', `/api/v1/tickets/${request.id}`, { token: dispatcher })).body).toMatchObject({ status: 'reported', version: request.version });
    const merged = await mustAct(t, dispatcher, second.body.id, 'merge', { parentId: first.id });
    expect(merged).toMatchObject({ status: 'merged', parentId: first.id });
    await mustAct(t, dispatcher, first.id, 'register');
    await mustAct(t, dispatcher, first.id, 'dispatch', { unitId: ids['FX-SZSS'] });
    await mustAct(t, handler, first.id, 'sign');
    await mustAct(t, handler, first.id, 'resolve', { note: '已修复' });
    await mustAct(t, grid, first.id, 'verify', { passed: true });
    const child = (await t.request('GET', `/api/v1/tickets/${second.body.id}`, { token: grid })).body;
    expect(child.closedAt).toBeTruthy();
    expect(child.timeline.map((e: { action: string }) => e.action)).toEqual(['file', 'merge', 'parent-closed']);
  });

  it('the database refuses to change or delete events', async () => {
    await expect(t.ds.query(`UPDATE ticket_events SET note = 'x'`)).rejects.toThrow(/immutable/);
    await expect(t.ds.query(`DELETE FROM ticket_events`)).rejects.toThrow(/immutable/);
    await expect(t.ds.query(`TRUNCATE ticket_events CASCADE`)).rejects.toThrow(/immutable/);
    // Nor the attachments linked to them (the first test resolved with a photo): only linking an unlinked one is allowed.
    const [linked] = await t.ds.query(`SELECT id FROM attachments WHERE event_id IS NOT NULL LIMIT 1`);
    expect(linked).toBeDefined();
    await expect(t.ds.query(`UPDATE attachments SET event_id = NULL WHERE id = $1`, [linked.id])).rejects.toThrow(/immutable/);
    await expect(t.ds.query(`UPDATE attachments SET storage_key = 'elsewhere' WHERE id = $1`, [linked.id])).rejects.toThrow(/immutable/);
    await expect(t.ds.query(`DELETE FROM attachments WHERE id = $1`, [linked.id])).rejects.toThrow(/immutable/);
    await expect(t.ds.query(`TRUNCATE attachments`)).rejects.toThrow(/immutable/);
  });

  it('refuses bad input on intake and actions with 4xx and changes nothing', async () => {
    const count = async () => (await t.ds.query(`SELECT (SELECT count(*) FROM tickets)::int AS t, (SELECT count(*) FROM ticket_events)::int AS e`))[0];
    const before = await count();
    const bad: Array<[Record<string, unknown> | string, number]> = [
      [{ ...MANHOLE, extra: 1 }, 400],
      [{ ...MANHOLE, lat: 'north' }, 400],
      [{ ...MANHOLE, title: 'a\u0000b' }, 400],
      [{ ...MANHOLE, categoryCode: "0101'; DROP TABLE tickets; --" }, 400],
      [{ ...MANHOLE, categoryCode: '9999' }, 422],
      [{ ...MANHOLE, standardCode: 'nonexistent' }, 422],
      [{ ...MANHOLE, channel: 'pigeon' }, 400],
      [{ ...MANHOLE, attributes: { unknownAttribute: true } }, 400],
      [{ ...MANHOLE, reporter: { name: '张三', phone: 'call me' } }, 400],
      [{ ...MANHOLE, title: 'x'.repeat(201) }, 400],
      ['{"categoryCode":"0101","__proto__":{"x":1}}', 400],
    ];
    for (const [body, status] of bad) {
      const res = typeof body === 'string'
        ? await t.request('POST', '/api/v1/tickets', { token: grid, raw: body, headers: { 'content-type': 'application/json' } })
        : await fileTicket(t, grid, body);
      expect([JSON.stringify(body).slice(0, 60), res.status]).toEqual([JSON.stringify(body).slice(0, 60), status]);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    const { body: ticket } = await fileTicket(t, grid, { ...MANHOLE, title: '动作输入测试' });
    const mid = await count();
    expect(mid.t).toBe(before.t + 1);
    for (const body of [{}, { expectedVersion: 'one' }, { expectedVersion: 1, unitId: 'x' }, { expectedVersion: 1, extra: true }, { expectedVersion: 1, satisfaction: 'meh' }]) {
      const res = await t.request('POST', `/api/v1/tickets/${ticket.id}/actions/register`, { token: dispatcher, body });
      expect(res.status).toBe(400);
    }
    expect((await t.request('POST', `/api/v1/tickets/${ticket.id}/actions/dispatch`, { token: dispatcher, body: { expectedVersion: 1, unitId: '00000000-0000-4000-8000-000000000000' } })).status).toBe(422);
    expect((await t.request('POST', '/api/v1/tickets/not-a-uuid/actions/register', { token: dispatcher, body: { expectedVersion: 1 } })).status).toBe(400);
    const png = await t.request('POST', `/api/v1/tickets/${ticket.id}/attachments`, { token: grid, raw: JPEG, headers: { 'content-type': 'image/png' } });
    expect(png.status).toBe(415);
    expect(await count()).toEqual(mid);
  });
});
