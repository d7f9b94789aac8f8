import { createTestApp, type TestApp } from '../support/test-app';
import { MANHOLE, act, codeIds, fileTicket, mustAct } from '../support/tickets';

/** Each platform's special rule, end to end through HTTP (SPEC §4). */
describe('platform rules 五平台规则', () => {
  let t: TestApp;
  let ids: Record<string, string>;
  let grid: string;
  let dispatcher: string;
  let admin: string;
  const user = async (username: string, role: string, node: string, unit?: string) => {
    const res = await t.request('POST', '/api/v1/admin/users', {
      token: admin, body: { username, displayName: username, role, scopeNodeId: ids[node], ...(unit ? { unitId: ids[unit] } : {}), password: 'Staff@2026!x' },
    });
    if (res.status !== 201) throw new Error(res.text);
    return t.login(username, 'Staff@2026!x');
  };

  beforeAll(async () => {
    t = await createTestApp();
    ids = await codeIds(t);
    [grid, dispatcher, admin] = await Promise.all(['demo.grid', 'demo.dispatcher', 'demo.admin'].map((u) => t.login(u)));
  });
  afterAll(async () => { await t.close(); });

  it('community_governance: a grid worker fixes it on the spot; someone else verifies (自行处置)', async () => {
    const { body: ticket } = await fileTicket(t, grid, { ...MANHOLE, standardCode: 'damaged', title: '井盖松动，已现场固定' });
    const resolved = await mustAct(t, grid, ticket.id, 'self-resolve', { note: '现场已固定' });
    expect(resolved.status).toBe('resolved');
    const self = await act(t, grid, ticket.id, 'verify', { passed: true });
    expect(self.status).toBe(403);
    expect(self.body.code).toBe('SAME_PERSON_VERIFY');
    const other = await user('dw.grid2', 'grid_worker', '210902001001001');
    const closed = await mustAct(t, other, ticket.id, 'verify', { passed: true });
    expect(closed.status).toBe('closed');
  });

  it('dispute_resolution: parties protected, visible to mediators and supervisors only, consent for extension, a session before the outcome', async () => {
    const parties = [
      { role: 'applicant', name: '王建华', phone: '13704181234', idNumber: '210902197001011234' },
      { role: 'respondent', name: '刘桂兰', phone: '13504185678' },
    ];
    const filed = await fileTicket(t, grid, {
      categoryCode: 'DR0101', title: '楼上装修噪声扰民纠纷', description: '2号楼住户反映楼上夜间装修噪声', channel: 'patrol',
      attributes: { disputeType: 'neighbour', parties },
    });
    expect(filed.status).toBe(201);
    const id = filed.body.id;
    expect(JSON.stringify(filed.body)).not.toMatch(/王建华|13704181234|210902197001011234|刘桂兰/);
    // The filing grid worker follows the dispute's status, not its content (see dispute-visibility.e2e-spec.ts).
    expect(filed.body).toMatchObject({ contentRestricted: true, description: null, attributes: {} });
    const supervised = (await t.request('GET', `/api/v1/tickets/${id}`, { token: dispatcher })).body;
    expect(JSON.stringify(supervised)).not.toMatch(/王建华|13704181234|210902197001011234|刘桂兰/);
    expect(supervised.attributes.parties[0]).toEqual({ role: 'applicant', name: '王**', phone: '137****1234', idNumber: '210902********1234' });
    const official = await t.login('demo.official');
    expect((await t.request('GET', `/api/v1/tickets/${id}`, { token: official })).status).toBe(404);
    const mediator = await user('zq.mediator', 'handler', '210902001', 'HZ-ZQ-TJW');
    await mustAct(t, dispatcher, id, 'register');
    await mustAct(t, dispatcher, id, 'dispatch', { unitId: ids['HZ-ZQ-TJW'] });
    const signed = await mustAct(t, mediator, id, 'sign');
    const mediation = signed.clocks.find((c: { stage: string; state: string }) => c.stage === 'mediation' && c.state === 'running');
    // 一般在一个月内调结: 30 calendar days.
    expect(mediation.clockType).toBe('natural');
    expect(Date.parse(mediation.deadline) - Date.parse(mediation.startedAt)).toBe(30 * 86400 * 1000);
    const early = await act(t, mediator, id, 'resolve', { mediationOutcome: 'agreement' });
    expect(early.status).toBe(409);
    expect(early.body.code).toBe('MEDIATION_SESSION_REQUIRED');
    await mustAct(t, mediator, id, 'record-mediation', { note: '第一次调解，双方同意限定施工时间' });
    const noConsent = await act(t, mediator, id, 'request-extension', { extraSeconds: 7 * 86400, reason: '需再次调解' });
    expect(noConsent.status).toBe(422);
    expect(noConsent.body.code).toBe('PARTIES_CONSENT_REQUIRED');
    await mustAct(t, mediator, id, 'request-extension', { extraSeconds: 7 * 86400, reason: '需再次调解', partiesConsent: true });
    const extended = await mustAct(t, dispatcher, id, 'decide-extension', { approved: true });
    const after = extended.clocks.find((c: { stage: string; state: string }) => c.stage === 'mediation' && c.state === 'running');
    expect(Date.parse(after.deadline)).toBeGreaterThan(Date.parse(mediation.deadline));
    // Pausing the month (中止) needs the parties' consent too, from the mediator and from a dispatcher suspending directly.
    for (const who of [mediator, dispatcher]) {
      const paused = await act(t, who, id, 'suspend', { reason: '当事人外出' });
      expect([paused.status, paused.body.code]).toEqual([422, 'PARTIES_CONSENT_REQUIRED']);
    }
    await mustAct(t, dispatcher, id, 'suspend', { reason: '当事人外出', partiesConsent: true });
    await mustAct(t, dispatcher, id, 'resume');
    const resolved = await mustAct(t, mediator, id, 'resolve', { mediationOutcome: 'agreement', note: '达成调解协议' });
    expect(resolved.mediation).toEqual({ sessions: 1, outcome: 'agreement', referral: null });
    expect((await act(t, grid, id, 'verify', { passed: true })).status).toBe(403);
    expect((await mustAct(t, dispatcher, id, 'verify', { passed: true })).status).toBe('closed');
    const reveal = await t.request('POST', `/api/v1/tickets/${id}/reveal`, { token: mediator, body: { reason: '联系当事人签署协议' } });
    expect(reveal.body.attributes.parties[0].name).toBe('王建华');
  });

  it('dispute_resolution: a failed mediation (调解不成) needs a referral, and closes with outcome and referral recorded', async () => {
    const mediator = await user('zq.mediator.failed', 'handler', '210902001', 'HZ-ZQ-TJW');
    const filed = await fileTicket(t, grid, {
      categoryCode: 'DR0101', title: '相邻通道占用纠纷', description: '两户因楼道堆放杂物发生争执', channel: 'patrol',
      attributes: { disputeType: 'neighbour', parties: [{ role: 'applicant', name: '赵立新', phone: '13604181111' }, { role: 'respondent', name: '钱玉梅', phone: '13604182222' }] },
    });
    expect(filed.status).toBe(201);
    const id = filed.body.id;
    await mustAct(t, dispatcher, id, 'register');
    await mustAct(t, dispatcher, id, 'dispatch', { unitId: ids['HZ-ZQ-TJW'] });
    await mustAct(t, mediator, id, 'sign');
    await mustAct(t, mediator, id, 'record-mediation', { note: '第一次调解，双方分歧较大' });
    const before = (await t.request('GET', `/api/v1/tickets/${id}`, { token: mediator })).body;
    // 调解不成 without saying where the dispute goes next, or to a place that is not a referral, is refused.
    // (The workflow's guard refuses the missing referral; the request DTO refuses values outside the lists.)
    const refusals: Array<[Record<string, unknown>, string]> = [
      [{ mediationOutcome: 'failed', note: '调解不成' }, 'INVALID_INPUT'],
      [{ mediationOutcome: 'failed', mediationReferral: 'police' }, 'VALIDATION_FAILED'],
      [{ mediationOutcome: 'abandoned', mediationReferral: 'court' }, 'VALIDATION_FAILED'],
    ];
    for (const [body, code] of refusals) {
      const refused = await act(t, mediator, id, 'resolve', body);
      expect([JSON.stringify(body), refused.status, refused.body.code]).toEqual([JSON.stringify(body), 400, code]);
      expect(refused.headers['content-type']).toContain('application/problem+json');
    }
    const unchanged = (await t.request('GET', `/api/v1/tickets/${id}`, { token: mediator })).body;
    expect(unchanged).toMatchObject({ status: 'in_progress', version: before.version, mediation: { sessions: 1, outcome: null, referral: null } });
    expect(unchanged.timeline).toHaveLength(before.timeline.length);

    const resolved = await mustAct(t, mediator, id, 'resolve', { mediationOutcome: 'failed', mediationReferral: 'court', note: '调解不成，引导当事人向法院起诉' });
    expect(resolved.status).toBe('resolved');
    expect(resolved.mediation).toEqual({ sessions: 1, outcome: 'failed', referral: 'court' });
    const clocks = resolved.clocks as Array<{ stage: string; state: string }>;
    expect(clocks.filter((c) => c.stage === 'mediation').map((c) => c.state)).toEqual(['stopped']);
    expect(clocks.filter((c) => c.stage === 'verify').map((c) => c.state)).toEqual(['running']);
    // The dispatcher (the supervising command centre) verifies; the case closes with its outcome and referral kept.
    const closed = await mustAct(t, dispatcher, id, 'verify', { passed: true, note: '已告知当事人诉讼途径' });
    expect(closed).toMatchObject({ status: 'closed', mediation: { sessions: 1, outcome: 'failed', referral: 'court' } });
    const events = (await t.request('GET', `/api/v1/tickets/${id}/events`, { token: dispatcher })).body as Array<{ action: string; data: Record<string, unknown> }>;
    expect(events.map((e) => e.action)).toEqual(['file', 'register', 'dispatch', 'sign', 'record-mediation', 'resolve', 'verify']);
    expect(JSON.stringify(events.find((e) => e.action === 'resolve')!.data)).toMatch(/court/);
    // Its filer follows the status only: the outcome is content.
    const filer = (await t.request('GET', `/api/v1/tickets/${id}`, { token: grid })).body;
    expect(filer).toMatchObject({ status: 'closed', contentRestricted: true, mediation: null });
  });

  it('suspension 挂起: the handler asks with a reason, the dispatcher rejects or approves; approval pauses the handling clock', async () => {
    const handler = await t.login('demo.handler');
    // 缺失: natural time, so the paused second shows in the deadline whatever the day (working time may not be elapsing).
    const { body: filed } = await fileTicket(t, grid, { ...MANHOLE, title: '井盖缺失，道路封闭施工中' });
    const id = filed.id;
    await mustAct(t, dispatcher, id, 'register');
    await mustAct(t, dispatcher, id, 'dispatch', { unitId: ids['FX-SZSS'] });
    const signed = await mustAct(t, handler, id, 'sign');
    const resolveClock = (tk: { clocks: Array<{ stage: string; state: string; deadline: string | null }> }) => {
      const open = tk.clocks.filter((c) => c.stage === 'resolve' && c.state !== 'stopped');
      expect(open).toHaveLength(1);
      return open[0]!;
    };
    expect(resolveClock(signed).state).toBe('running');

    // A handler's request needs a reason; with one it changes no state and leaves the clock running.
    const bare = await act(t, handler, id, 'suspend', {});
    expect([bare.status, bare.body.code]).toEqual([422, 'REASON_REQUIRED']);
    const asked = await mustAct(t, handler, id, 'suspend', { reason: '道路封闭施工，无法进场' });
    expect(asked).toMatchObject({ status: 'in_progress', suspensionPending: true });
    expect(resolveClock(asked).state).toBe('running');
    const twice = await act(t, handler, id, 'suspend', { reason: '再次申请' });
    expect([twice.status, twice.body.code]).toEqual([409, 'REQUEST_ALREADY_PENDING']);
    // The dispatcher decides a pending request with `approved`, nothing else.
    const undecided = await act(t, dispatcher, id, 'suspend', { reason: '直接挂起' });
    expect([undecided.status, undecided.body.code]).toEqual([400, 'INVALID_INPUT']);

    const rejected = await mustAct(t, dispatcher, id, 'suspend', { approved: false, note: '可绕行进场，继续处置' });
    expect(rejected).toMatchObject({ status: 'in_progress', suspensionPending: false });
    expect(resolveClock(rejected)).toMatchObject({ state: 'running', deadline: resolveClock(signed).deadline });

    await mustAct(t, handler, id, 'suspend', { reason: '道路仍封闭，需等待解封' });
    const approved = await mustAct(t, dispatcher, id, 'suspend', { approved: true, note: '同意挂起' });
    expect(approved).toMatchObject({ status: 'suspended', suspensionPending: false });
    expect(resolveClock(approved).state).toBe('paused');
    // Nothing is handled while suspended; the handler resumes and the deadline moves by the time paused.
    expect((await act(t, handler, id, 'resolve', { note: '已修复' })).status).toBe(409);
    await new Promise((r) => setTimeout(r, 1100));
    const resumed = await mustAct(t, handler, id, 'resume');
    expect(resumed.status).toBe('in_progress');
    const after = resolveClock(resumed);
    expect(after.state).toBe('running');
    expect(Date.parse(after.deadline!) - Date.parse(resolveClock(signed).deadline!)).toBeGreaterThanOrEqual(1000);
    const [row] = await t.ds.query(`SELECT jsonb_array_length(pauses) AS pauses, paused_at FROM ticket_clocks WHERE ticket_id = $1 AND stage = 'resolve'`, [id]);
    expect(row).toEqual({ pauses: 1, paused_at: null });

    const events = (await t.request('GET', `/api/v1/tickets/${id}/events`, { token: dispatcher })).body as Array<{ action: string; actorRole: string; from: string; to: string }>;
    expect(events.filter((e) => e.action === 'suspend' || e.action === 'resume').map((e) => [e.action, e.actorRole, e.from, e.to])).toEqual([
      ['suspend', 'handler', 'in_progress', 'in_progress'],
      ['suspend', 'dispatcher', 'in_progress', 'in_progress'],
      ['suspend', 'handler', 'in_progress', 'in_progress'],
      ['suspend', 'dispatcher', 'in_progress', 'suspended'],
      ['resume', 'handler', 'suspended', 'in_progress'],
    ]);
  });

  it('request_handling: first contact before resolving; a dissatisfied callback reopens and supervises (先行联系, 回访)', async () => {
    const handler = await t.login('demo.handler');
    const filed = await fileTicket(t, dispatcher, {
      categoryCode: 'RH0101', title: '小区供暖温度不达标', description: '居民反映室温只有14度', channel: 'hotline',
      reporter: { name: '陈静', phone: '15041801234' }, attributes: { requestType: 'complaint' },
    });
    expect(filed.status).toBe(201);
    const id = filed.body.id;
    await mustAct(t, dispatcher, id, 'register');
    await mustAct(t, dispatcher, id, 'dispatch', { unitId: ids['FX-SZSS'] });
    await mustAct(t, handler, id, 'sign');
    const noContact = await act(t, handler, id, 'resolve', { note: '已处理' });
    expect(noContact.status).toBe(409);
    expect(noContact.body.code).toBe('FIRST_CONTACT_REQUIRED');
    expect((await mustAct(t, handler, id, 'first-contact', { note: '已电话联系居民' })).firstContactAt).toBeTruthy();
    await mustAct(t, handler, id, 'resolve', { note: '已调整供暖' });
    expect((await act(t, handler, id, 'verify', { passed: true })).status).toBe(409);
    const reopened = await mustAct(t, dispatcher, id, 'callback', { contacted: true, resolved: false, satisfaction: 'dissatisfied' });
    expect(reopened).toMatchObject({ status: 'in_progress', supervisionCount: 1, firstContactAt: null });
    expect(reopened.callback).toEqual({ contacted: true, resolved: false, satisfaction: 'dissatisfied' });
    await mustAct(t, handler, id, 'first-contact');
    await mustAct(t, handler, id, 'resolve', { note: '更换暖气阀门' });
    const archived = await mustAct(t, dispatcher, id, 'callback', { contacted: true, resolved: true, satisfaction: 'satisfied' });
    expect(archived.status).toBe('archived');
  });

  it('request_handling: an anonymous complaint (匿名) keeps the reporter from the handling unit, not from the dispatcher who calls back', async () => {
    const handler = await t.login('demo.handler');
    const filed = await fileTicket(t, dispatcher, {
      categoryCode: 'RH0101', title: '饭店油烟扰民', description: '楼下饭店油烟直排', channel: 'hotline',
      reporter: { name: '陈静', phone: '15041801234' }, attributes: { requestType: 'complaint', anonymous: true },
    });
    const id = filed.body.id;
    await mustAct(t, dispatcher, id, 'register');
    await mustAct(t, dispatcher, id, 'dispatch', { unitId: ids['FX-SZSS'] });
    const byHandler = await t.request('POST', `/api/v1/tickets/${id}/reveal`, { token: handler, body: { reason: '核实投诉内容' } });
    expect(byHandler.status).toBe(200);
    expect(byHandler.body.reporter).toEqual({ name: null, phone: null });
    expect(JSON.stringify(byHandler.body)).not.toContain('15041801234');
    const byDispatcher = await t.request('POST', `/api/v1/tickets/${id}/reveal`, { token: dispatcher, body: { reason: '回访投诉人' } });
    expect(byDispatcher.body.reporter).toEqual({ name: '陈静', phone: '15041801234' });
    const [audited] = await t.ds.query(`SELECT details FROM audit_log WHERE action = 'pii.reveal' AND target = $1 ORDER BY id LIMIT 1`, [id]);
    expect(audited.details).toMatchObject({ anonymous: true });
  });

  it('request_handling: first contact belongs to the unit — a ticket reassigned elsewhere is contacted again before it is resolved', async () => {
    const handler = await t.login('demo.handler');
    const water = await user('rh.water', 'handler', '210900', 'FX-WATER');
    const filed = await fileTicket(t, dispatcher, {
      categoryCode: 'RH0101', title: '小区停水无人告知', description: '居民反映停水两天', channel: 'hotline',
      reporter: { name: '陈静', phone: '15041801234' }, attributes: { requestType: 'complaint' },
    });
    const id = filed.body.id;
    await mustAct(t, dispatcher, id, 'register');
    await mustAct(t, dispatcher, id, 'dispatch', { unitId: ids['FX-SZSS'] });
    await mustAct(t, handler, id, 'sign');
    expect((await mustAct(t, handler, id, 'first-contact', { note: '已电话联系居民' })).firstContactAt).toBeTruthy();
    const moved = await mustAct(t, dispatcher, id, 'reassign', { unitId: ids['FX-WATER'], reason: '供水归自来水公司' });
    expect(moved).toMatchObject({ status: 'dispatched', firstContactAt: null });
    await mustAct(t, water, id, 'sign');
    const refused = await act(t, water, id, 'resolve', { note: '已恢复供水' });
    expect([refused.status, refused.body.code]).toEqual([409, 'FIRST_CONTACT_REQUIRED']);
    await mustAct(t, water, id, 'first-contact', { note: '自来水公司已联系居民' });
    expect((await mustAct(t, water, id, 'resolve', { note: '已恢复供水' })).status).toBe('resolved');
  });

  it('convenience_services: resolving waits for the materials checklist (所需材料)', async () => {
    const clerk = await user('hz.service', 'handler', '210902', 'HZ-BMFW');
    const filed = await fileTicket(t, grid, {
      categoryCode: 'CS02', title: '王大爷高龄补贴上门核查', description: '87岁老人行动不便', channel: 'patrol',
      attributes: { serviceType: 'home_visit' }, materialsProvided: ['居民身份证'],
    });
    expect(filed.status).toBe(201);
    expect(filed.body.materialsComplete).toBe(false);
    const id = filed.body.id;
    await mustAct(t, dispatcher, id, 'register');
    await mustAct(t, dispatcher, id, 'dispatch', { unitId: ids['HZ-BMFW'] });
    const signed = await mustAct(t, clerk, id, 'sign');
    expect(signed.clocks.find((c: { stage: string; state: string }) => c.stage === 'resolve' && c.state === 'running').clockType).toBe('working_days');
    const refused = await act(t, clerk, id, 'resolve', { note: '已核查' });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('MATERIALS_INCOMPLETE');
    const category = (await t.request('GET', '/api/v1/categories/CS02', { token: dispatcher })).body;
    const current = (await t.request('GET', `/api/v1/tickets/${id}`, { token: clerk })).body;
    // ticket:act is not enough: an official (read-only, supervises only) may not tick the checklist.
    const official = await t.login('demo.official');
    const byOfficial = await t.request('POST', `/api/v1/tickets/${id}/materials`, { token: official, body: { expectedVersion: current.version, provided: category.materials } });
    expect([byOfficial.status, byOfficial.body.code]).toEqual([403, 'NOT_TICKET_PARTICIPANT']);
    const done = await t.request('POST', `/api/v1/tickets/${id}/materials`, { token: clerk, body: { expectedVersion: current.version, provided: category.materials } });
    expect(done.status).toBe(200);
    expect(done.body.materialsComplete).toBe(true);
    await mustAct(t, clerk, id, 'resolve', { note: '已核查并提交' });
    const closed = await mustAct(t, grid, id, 'verify', { passed: true });
    expect(closed.status).toBe('closed');
    // A closed ticket's checklist is part of its record: it no longer changes.
    const late = await t.request('POST', `/api/v1/tickets/${id}/materials`, { token: clerk, body: { expectedVersion: closed.version, provided: [] } });
    expect([late.status, late.body.code]).toEqual([409, 'TICKET_NOT_OPEN']);
    expect((await t.request('GET', `/api/v1/tickets/${id}`, { token: clerk })).body).toMatchObject({ version: closed.version, materialsComplete: true });
  });

  it('party_building: a party-member volunteer claims the wish and records service hours (微心愿认领)', async () => {
    const volunteer = await user('dw.volunteer', 'handler', '210902001001', 'HZ-DW-DZB');
    const filed = await fileTicket(t, grid, {
      categoryCode: 'PB01', title: '留守儿童想要一套课外书', description: '3号楼小明的微心愿', channel: 'patrol',
      attributes: { wishType: 'micro_wish', beneficiaryCount: 1 },
    });
    const id = filed.body.id;
    expect((await act(t, dispatcher, id, 'dispatch', { unitId: ids['FX-SZSS'] })).status).toBe(409);
    await mustAct(t, dispatcher, id, 'register');
    const pool = await t.request('GET', '/api/v1/tickets?platform=party_building&status=registered', { token: volunteer });
    expect(pool.body.items.map((i: { id: string }) => i.id)).toContain(id);
    const claimed = await mustAct(t, volunteer, id, 'claim');
    expect(claimed).toMatchObject({ status: 'in_progress', unitId: ids['HZ-DW-DZB'] });
    const noHours = await act(t, volunteer, id, 'resolve', { note: '已送达' });
    expect(noHours.status).toBe(400);
    expect(noHours.body.code).toBe('INVALID_INPUT');
    const resolved = await mustAct(t, volunteer, id, 'resolve', { note: '书已送到', volunteerHours: 2.5 });
    expect(resolved.volunteerHours).toBe(2.5);
    // Verification fails; the second round of service adds its hours to the first.
    await mustAct(t, grid, id, 'verify', { passed: false, reason: '少了一本' });
    const again = await mustAct(t, volunteer, id, 'resolve', { note: '补送一本', volunteerHours: 0.75 });
    expect(again.volunteerHours).toBe(3.25);
    expect((await mustAct(t, grid, id, 'verify', { passed: true })).status).toBe('closed');
  });
});
