import { DEMO_OPEN311_KEY } from '../../src/database/seeds/demo-open311';
import { RollupService } from '../../src/modules/reports/rollup.service';
import { assertJson, assertXml } from '../support/open311';
import { createTestApp, type HttpResponse, type TestApp } from '../support/test-app';
import { codeIds, fileTicket, mustAct } from '../support/tickets';
import { foldAll } from './reports-history';

/**
 * Our Open311 extension `POST requests/{id}/rating`: the client that filed a 诉求办理 request rates its outcome for
 * the resident (回访), as the workflow's `callback` action by actor role `resident`.
 */
const REPORTER = { first_name: '静', last_name: '陈', phone: '15041801234', email: 'chen.jing@example.cn' };
const SECRETS = [REPORTER.phone, REPORTER.email, '陈静', 'chen.jing'];
const POINT = { lat: '42.02698', long: '121.65952' };
const COMMENT = '暖气还是不热，王师傅说修好了但没有修，我的电话 15041801234';

describe('Open311 rating (our extension: 回访 through Open311)', () => {
  let t: TestApp;
  let ids: Record<string, string>;
  let dispatcher: string;
  let handler: string;
  let otherKey: string;
  let otherKeyId: string;
  const seen: string[] = [];

  async function postForm(path: string, form: Record<string, string>): Promise<HttpResponse> {
    const res = await t.request('POST', path, { raw: new URLSearchParams(form).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    seen.push(res.text);
    return res;
  }
  const rate = (number: string, form: Record<string, string>, format: 'json' | 'xml' = 'json') => postForm(`/open311/v2/requests/${number}/rating.${format}`, form);

  /** Files a request through Open311 with `key` (诉求办理 供暖投诉 unless told), returning its number and id. */
  async function file(key: string, serviceCode = 'RH0101', attributes: Record<string, string> = { 'attribute[requestType]': 'complaint' }): Promise<{ number: string; id: string }> {
    const res = await postForm('/open311/v2/requests.json', { api_key: key, service_code: serviceCode, ...POINT, description: '小区供暖温度不达标，室温只有14度', ...attributes, ...REPORTER });
    if (res.status !== 200) throw new Error(`filing failed: ${res.status} ${res.text}`);
    const number: string = res.body[0].service_request_id;
    const [row] = await t.ds.query(`SELECT id FROM tickets WHERE number = $1`, [number]);
    return { number, id: row.id };
  }

  /** Works a request to resolution through the internal API: 立案, 派遣, 签收, 先行联系 (诉求办理), 办结. */
  async function resolve(id: string, requestHandling = true): Promise<void> {
    await mustAct(t, dispatcher, id, 'register');
    await mustAct(t, dispatcher, id, 'dispatch', { unitId: ids['FX-SZSS'] });
    await mustAct(t, handler, id, 'sign');
    if (requestHandling) await mustAct(t, handler, id, 'first-contact', { note: '已电话联系居民' });
    await mustAct(t, handler, id, 'resolve', { note: '已调整供暖阀门' });
  }

  const ticket = async (id: string) => (await t.ds.query(`SELECT status, version, supervision_count, callback, first_contact_at FROM tickets WHERE id = $1`, [id]))[0];
  const callbacks = (id: string): Promise<Array<{ actor_role: string; actor_id: string | null; from_status: string; to_status: string; note: string | null; data: any }>> =>
    t.ds.query(`SELECT actor_role, actor_id, from_status, to_status, note, data FROM ticket_events WHERE ticket_id = $1 AND action = 'callback' ORDER BY seq`, [id]);

  beforeAll(async () => {
    t = await createTestApp({ env: { OPEN311_ANON_PER_MINUTE: '100000' } });
    ids = await codeIds(t);
    dispatcher = await t.login('demo.dispatcher');
    handler = await t.login('demo.handler');
    const admin = await t.login('demo.admin');
    const created = await t.request('POST', '/api/v1/admin/open311-keys', { token: admin, body: { name: '另一客户端', jurisdictionNodeId: ids['210900'], rateLimitPerMinute: 1000 } });
    expect(created.status).toBe(201);
    otherKey = created.body.key;
    otherKeyId = created.body.id;
  });
  afterAll(async () => {
    // Nothing of the reporter, nor the rating comment, ever comes back.
    for (const text of seen) for (const s of [...SECRETS, '王师傅']) expect(text).not.toContain(s);
    await t?.close();
  });

  it('a satisfied rating is the callback by the resident: archived (Open311 closed), callback clock stopped', async () => {
    const { number, id } = await file(DEMO_OPEN311_KEY);
    await resolve(id);
    const before = await ticket(id);
    expect(before.status).toBe('resolved');
    const [clock] = await t.ds.query(`SELECT state FROM ticket_clocks WHERE ticket_id = $1 AND stage = 'callback' ORDER BY created_at DESC LIMIT 1`, [id]);
    expect(clock.state).toBe('running');

    const res = await rate(number, { api_key: DEMO_OPEN311_KEY, satisfaction: 'satisfied', comment: '很满意，谢谢' });
    expect(res.status).toBe(200);
    assertJson('service_requests', res.body);
    expect(res.body).toHaveLength(1);
    expect(res.body[0]).toMatchObject({ service_request_id: number, status: 'closed', status_notes: '已回访归档', service_code: 'RH0101' });

    expect(await ticket(id)).toMatchObject({ status: 'archived', version: before.version + 1, callback: { contacted: true, resolved: true, satisfaction: 'satisfied' } });
    expect(await callbacks(id)).toEqual([{
      actor_role: 'resident', actor_id: null, from_status: 'resolved', to_status: 'archived', note: '很满意，谢谢',
      data: expect.objectContaining({ contacted: true, resolved: true, satisfaction: 'satisfied' }),
    }]);
    const [after] = await t.ds.query(`SELECT state FROM ticket_clocks WHERE ticket_id = $1 AND stage = 'callback' ORDER BY created_at DESC LIMIT 1`, [id]);
    expect(after.state).not.toBe('running');
    // The event reads as the resident's in the staff's event list too.
    const events = await t.request('GET', `/api/v1/tickets/${id}/events`, { token: dispatcher });
    expect(events.body.find((e: any) => e.action === 'callback')).toMatchObject({ actorRole: 'resident', from: 'resolved', to: 'archived' });

    // Rated once: a second rating is refused and changes nothing.
    const again = await rate(number, { api_key: DEMO_OPEN311_KEY, satisfaction: 'dissatisfied' });
    expect(again.status).toBe(409);
    assertJson('errors', again.body);
    expect(again.body[0].description).toContain('not awaiting a rating');
    expect(await callbacks(id)).toHaveLength(1);
  });

  it('a dissatisfied rating reopens and supervises (重办 + 督办); its comment stays internal; the next rating, in XML, archives', async () => {
    const { number, id } = await file(DEMO_OPEN311_KEY);
    await resolve(id);
    const res = await rate(number, { api_key: DEMO_OPEN311_KEY, satisfaction: '不满意', comment: COMMENT });
    expect(res.status).toBe(200);
    assertJson('service_requests', res.body);
    expect(res.body[0]).toMatchObject({ status: 'open', status_notes: '承办单位处置中' });

    expect(await ticket(id)).toMatchObject({
      status: 'in_progress', supervision_count: 1, first_contact_at: null, callback: { contacted: true, resolved: false, satisfaction: 'dissatisfied' },
    });
    const [event] = await callbacks(id);
    expect(event).toMatchObject({ actor_role: 'resident', actor_id: null, to_status: 'in_progress', note: COMMENT });
    expect(event!.data).toMatchObject({ satisfaction: 'dissatisfied', reopen: 'callback_dissatisfied', supervision: { source: 'callback' } });
    const [handling] = await t.ds.query(`SELECT state FROM ticket_clocks WHERE ticket_id = $1 AND stage = 'resolve' ORDER BY created_at DESC LIMIT 1`, [id]);
    expect(handling.state).toBe('running');
    // The staff see the comment; the public read does not.
    const staffView = await t.request('GET', `/api/v1/tickets/${id}/events`, { token: dispatcher });
    expect(staffView.text).toContain('王师傅');
    const publicView = await t.request('GET', `/open311/v2/requests/${number}.json`);
    seen.push(publicView.text);
    expect(publicView.body[0].status_notes).toBe('承办单位处置中');

    // 重办: contact again, resolve again; the resident answers 基本满意 (and says it is solved), in XML.
    await mustAct(t, handler, id, 'first-contact');
    await mustAct(t, handler, id, 'resolve', { note: '更换暖气阀门' });
    const xml = await rate(number, { api_key: DEMO_OPEN311_KEY, satisfaction: 'basically_satisfied', resolved: 'true' }, 'xml');
    expect(xml.status).toBe(200);
    expect(xml.headers['content-type']).toBe('text/xml; charset=utf-8');
    const [member] = assertXml('service_requests', xml.text);
    expect(member).toMatchObject({ service_request_id: number, status: 'closed', status_notes: '已回访归档' });
    expect((await ticket(id)).callback).toEqual({ contacted: true, resolved: true, satisfaction: 'basically_satisfied' });
    expect((await callbacks(id)).map((e) => [e.actor_role, e.to_status])).toEqual([['resident', 'in_progress'], ['resident', 'archived']]);
  });

  it('only the key that filed the request may rate it: another key, a bad key or none is 403; unknown 404', async () => {
    const mine = await file(DEMO_OPEN311_KEY);
    const theirs = await file(otherKey);
    await resolve(mine.id);
    await resolve(theirs.id);
    const versions = [(await ticket(mine.id)).version, (await ticket(theirs.id)).version];

    const other = await rate(mine.number, { api_key: otherKey, satisfaction: 'satisfied' });
    expect(other.status).toBe(403);
    assertJson('errors', other.body);
    expect(other.body[0].description).toContain('Only the client that filed this request');
    const reverse = await rate(theirs.number, { api_key: DEMO_OPEN311_KEY, satisfaction: 'satisfied' });
    expect(reverse.status).toBe(403);
    const badKey = await rate(mine.number, { api_key: 'not-a-key', satisfaction: 'satisfied' }, 'xml');
    expect(badKey.status).toBe(403);
    expect(assertXml('errors', badKey.text)[0]).toEqual({ code: '403', description: 'Invalid api_key / api_key 无效' });
    expect((await rate(mine.number, { satisfaction: 'satisfied' })).status).toBe(403);
    const unknown = await rate('FX-20000101-000001', { api_key: DEMO_OPEN311_KEY, satisfaction: 'satisfied' });
    expect(unknown.status).toBe(404);
    assertJson('errors', unknown.body);
    // A 诉求办理 ticket filed by staff (never published) is not found, as on GET: its existence is not revealed.
    const staff = await fileTicket(t, dispatcher, {
      categoryCode: 'RH0101', title: '供暖不热', description: '来电反映室温低', channel: 'hotline', attributes: { requestType: 'complaint' },
    });
    expect(staff.status).toBe(201);
    expect((await rate(staff.body.number, { api_key: DEMO_OPEN311_KEY, satisfaction: 'satisfied' })).status).toBe(404);

    expect([(await ticket(mine.id)).version, (await ticket(theirs.id)).version]).toEqual(versions);
    expect(await callbacks(mine.id)).toEqual([]);
    expect(await callbacks(theirs.id)).toEqual([]);
    // The other key rates its own.
    expect((await rate(theirs.number, { api_key: otherKey, satisfaction: 'satisfied' })).status).toBe(200);
  });

  it('refusals change nothing: not yet resolved, not a 诉求办理 request, a bad satisfaction or field', async () => {
    const { number, id } = await file(DEMO_OPEN311_KEY);
    const early = await rate(number, { api_key: DEMO_OPEN311_KEY, satisfaction: 'satisfied' });
    expect(early.status).toBe(409);
    assertJson('errors', early.body);
    expect(early.body[0].description).toContain('This request is not awaiting a rating / 该请求当前不接受评价');
    expect(early.body[0].description).toContain('待立案');
    await mustAct(t, dispatcher, id, 'register');
    await mustAct(t, dispatcher, id, 'dispatch', { unitId: ids['FX-SZSS'] });
    await mustAct(t, handler, id, 'sign');
    const working = await rate(number, { api_key: DEMO_OPEN311_KEY, satisfaction: 'satisfied' }, 'xml');
    expect(working.status).toBe(409);
    expect(assertXml('errors', working.text)[0].description).toContain('处置中');
    const before = await ticket(id);

    for (const form of [
      { api_key: DEMO_OPEN311_KEY, satisfaction: 'very_happy' },
      { api_key: DEMO_OPEN311_KEY },
      { api_key: DEMO_OPEN311_KEY, satisfaction: 'satisfied', resolved: 'yes' },
      { api_key: DEMO_OPEN311_KEY, satisfaction: 'satisfied', stars: '5' },
      { api_key: DEMO_OPEN311_KEY, satisfaction: 'satisfied', comment: '好'.repeat(501) },
    ] as Array<Record<string, string>>) {
      const bad = await rate(number, form);
      expect(bad.status).toBe(400);
      assertJson('errors', bad.body);
    }
    expect((await rate(number, { api_key: DEMO_OPEN311_KEY, satisfaction: 'very_happy' })).body[0].description).toMatch(/^satisfaction: /);
    expect(await ticket(id)).toEqual(before);
    expect(await callbacks(id)).toEqual([]);

    // 社区治理 requests are verified on site (核查), not rated.
    const manhole = await file(DEMO_OPEN311_KEY, '0101', { 'attribute[case_standard]': 'missing' });
    await resolve(manhole.id, false);
    const cg = await rate(manhole.number, { api_key: DEMO_OPEN311_KEY, satisfaction: 'satisfied' });
    expect(cg.status).toBe(409);
    expect(cg.body[0].description).toContain('诉求办理');
    expect((await ticket(manhole.id)).status).toBe('resolved');
    // Unknown paths under a request stay 404.
    expect((await postForm(`/open311/v2/requests/${number}/stars.json`, { api_key: DEMO_OPEN311_KEY })).status).toBe(404);
  });

  it('two ratings at once: one is the callback, the other is refused (the version is read inside, retried once)', async () => {
    const { number, id } = await file(DEMO_OPEN311_KEY);
    await resolve(id);
    const answers = await Promise.all([
      rate(number, { api_key: DEMO_OPEN311_KEY, satisfaction: 'satisfied' }),
      rate(number, { api_key: DEMO_OPEN311_KEY, satisfaction: 'dissatisfied' }),
    ]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    expect(await callbacks(id)).toHaveLength(1);
  });

  it('ratings count against the key\'s rate limit like other Open311 POSTs', async () => {
    const { number } = await file(otherKey);
    await t.ds.query(`UPDATE open311_api_keys SET rate_limit_per_minute = 1 WHERE id = $1`, [otherKeyId]);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await rate(number, { api_key: otherKey, satisfaction: 'satisfied' })).status);
    expect(statuses).toContain(429);
    await t.ds.query(`UPDATE open311_api_keys SET rate_limit_per_minute = 1000 WHERE id = $1`, [otherKeyId]);
  });

  it('the reports count the residents\' ratings (响应率, 解决率, 满意率)', async () => {
    await foldAll(t.ds, t.app.get(RollupService));
    const official = await t.login('demo.official');
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
    const res = await t.request('GET', `/api/v1/reports/rates?from=${today}&to=${today}&groupBy=district&platform=request_handling`, { token: official });
    expect(res.status).toBe(200);
    const fields = ['callbacks', 'contacted', 'cb_resolved', 'satisfied', 'basically', 'dissatisfied'] as const;
    const counts = Object.fromEntries(fields.map((f) => [f, res.body.rows.reduce((sum: number, row: any) => sum + row.counts[f], 0)]));
    // Reports count each ticket's last callback: here, every ticket a resident rated.
    const rated: Array<{ callback: { contacted: boolean; resolved: boolean; satisfaction: string } }> = await t.ds.query(
      `SELECT callback FROM tickets WHERE id IN (SELECT ticket_id FROM ticket_events WHERE action = 'callback' AND actor_role = 'resident')`);
    const of = (s: string) => rated.filter((r) => r.callback.satisfaction === s).length;
    expect(rated.length).toBeGreaterThanOrEqual(4);
    expect(counts).toEqual({
      callbacks: rated.length, contacted: rated.length, cb_resolved: rated.filter((r) => r.callback.resolved).length,
      satisfied: of('satisfied'), basically: of('basically_satisfied'), dissatisfied: of('dissatisfied'),
    });
    expect(counts.basically).toBe(1);
  });
});
