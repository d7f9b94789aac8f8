import { createTestApp, type HttpResponse, type TestApp } from '../support/test-app';
import { act, codeIds, createStaff, fileTicket, JPEG, mustAct } from '../support/tickets';

/**
 * 纠纷化解: "content visible only to the assigned mediators and their supervisors" (SPEC §4), on every endpoint
 * that reads tickets. Mediators: handlers of the lead mediation committee — once a mediator is assigned, that
 * mediator only. Supervisors: dispatchers of the subtree. The grid worker who filed the dispute follows its status
 * without its content; everyone else gets 404.
 */
describe('dispute content visibility 纠纷内容可见范围', () => {
  let t: TestApp;
  let ids: Record<string, string>;
  const users: Record<string, string> = {};
  let admin: string;
  let grid: string; // the filer
  let dispatcher: string; // 海州区 command centre: supervises the street's mediation committee
  let official: string;
  let coHandler: string; // demo.handler (municipal facilities centre), made a co-handling unit of the dispute
  let otherHandler: string; // a handler of the convenience service centre: no part in the dispute
  let otherGrid: string; // another grid worker of the same grid
  let otherDispatcher: string; // 细河区 command centre: another district
  let mediator: string; // signs the dispute: its assigned mediator
  let colleague: string; // another mediator of the same committee
  let id: string;
  let number: string;

  const TITLE = '王建华与刘桂兰噪声纠纷';
  const DESCRIPTION = '楼上住户每晚十一点后用电钻装修，双方多次争吵';
  const SEARCH_WORD = '电钻装修';
  const ADDRESS = '电务小区2号楼302室';
  const SESSION_NOTE = '第一次调解：双方同意晚九点后停工';
  const OUTCOME_NOTE = '达成调解协议，赔偿五百元';
  const PARTIES = [
    { role: 'applicant', name: '王建华', phone: '13704181234', idNumber: '210902197001011234' },
    { role: 'respondent', name: '刘桂兰', phone: '13504185678' },
  ];
  /** Everything of the dispute's content that must never reach its filer, in any form (masked parties too). */
  const CONTENT = [
    TITLE, DESCRIPTION, SEARCH_WORD, ADDRESS, SESSION_NOTE, OUTCOME_NOTE, '王建华', '刘桂兰', '13704181234', '13504185678',
    '210902197001011234', '王**', '刘**', '137****1234', '135****5678', '210902********1234', 'neighbour', 'agreement', 'applicant', 'respondent',
  ];
  const leaked = (res: HttpResponse) => CONTENT.filter((c) => res.text.includes(c));

  const user = (username: string, role: string, node: string, unit?: string): Promise<string> => createStaff(t, admin, ids, users, username, role, node, unit);
  const get = (token: string, path = '') => t.request('GET', `/api/v1/tickets/${id}${path}`, { token });
  const listIds = async (token: string, query: string): Promise<string[]> => {
    const res = await t.request('GET', `/api/v1/tickets?${query}&limit=200`, { token });
    expect(res.status).toBe(200);
    return res.body.items.map((i: { id: string }) => i.id);
  };
  const fileDispute = (token: string) => fileTicket(t, token, {
    categoryCode: 'DR0101', title: TITLE, description: DESCRIPTION, address: ADDRESS, channel: 'patrol', gridNodeId: ids['210902001001001'],
    attributes: { disputeType: 'neighbour', parties: PARTIES },
  });

  beforeAll(async () => {
    t = await createTestApp();
    ids = await codeIds(t);
    [admin, grid, dispatcher, official, coHandler] = await Promise.all(
      ['demo.admin', 'demo.grid', 'demo.dispatcher', 'demo.official', 'demo.handler'].map((u) => t.login(u)));
    mediator = await user('zq.mediator.a', 'handler', '210902001', 'HZ-ZQ-TJW');
    colleague = await user('zq.mediator.b', 'handler', '210902001', 'HZ-ZQ-TJW');
    otherHandler = await user('hz.service.x', 'handler', '210902', 'HZ-BMFW');
    otherGrid = await user('dw.grid.x', 'grid_worker', '210902001001001');
    otherDispatcher = await user('xh.dispatcher.x', 'dispatcher', '210911', 'XH-CC');

    const filed = await fileDispute(grid);
    expect(filed.status).toBe(201);
    id = filed.body.id;
    number = filed.body.number;
    // The filing response is already the filer's view: number and status, no content.
    expect(filed.body).toMatchObject({ id, number, status: 'reported', platform: 'dispute_resolution', contentRestricted: true, description: null, attributes: {} });
    expect(leaked(filed)).toEqual([]);

    await mustAct(t, dispatcher, id, 'register');
    // Lead: the street's mediation committee; co-handling unit: the municipal facilities centre.
    await mustAct(t, dispatcher, id, 'dispatch', { unitId: ids['HZ-ZQ-TJW'], coUnitIds: [ids['FX-SZSS']] });
  });
  afterAll(async () => { await t.close(); });

  it('before a mediator is assigned, every mediator of the lead committee reads it in full', async () => {
    for (const token of [mediator, colleague]) {
      const res = await get(token);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ contentRestricted: false, description: DESCRIPTION, handlerId: null });
    }
  });

  it('the assigned mediator works the case and reads everything: content, sessions, notes, attachments', async () => {
    await mustAct(t, mediator, id, 'sign');
    await mustAct(t, mediator, id, 'record-mediation', { note: SESSION_NOTE });
    const photo = await t.request('POST', `/api/v1/tickets/${id}/attachments`, { token: mediator, raw: JPEG, headers: { 'content-type': 'image/jpeg' } });
    expect(photo.status).toBe(201);
    const resolved = await mustAct(t, mediator, id, 'resolve', { mediationOutcome: 'agreement', note: OUTCOME_NOTE, attachmentIds: [photo.body.id] });
    expect(resolved).toMatchObject({ status: 'resolved', contentRestricted: false, mediation: { sessions: 1, outcome: 'agreement', referral: null } });

    const res = await get(mediator);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ title: TITLE, description: DESCRIPTION, address: ADDRESS, contentRestricted: false, handlerId: users['zq.mediator.a'] });
    expect(res.body.attributes.parties[0]).toEqual({ role: 'applicant', name: '王**', phone: '137****1234', idNumber: '210902********1234' });
    expect(res.body.timeline.map((e: { note: string | null }) => e.note)).toEqual(expect.arrayContaining([SESSION_NOTE, OUTCOME_NOTE]));
    const resolveEvent = (await get(mediator, '/events')).body.find((e: { action: string }) => e.action === 'resolve');
    expect(resolveEvent.data).toMatchObject({ mediationOutcome: 'agreement' });
    expect(resolveEvent.attachments.map((a: { id: string }) => a.id)).toEqual([photo.body.id]);
    const attachments = await get(mediator, '/attachments');
    expect(attachments.status).toBe(200);
    expect(attachments.body).toHaveLength(1);
    expect((await get(mediator, `/attachments/${photo.body.id}`)).status).toBe(200);
    expect(await listIds(mediator, `q=${encodeURIComponent(SEARCH_WORD)}`)).toContain(id);
  });

  it('a dispatcher of the district (the supervisor) reads everything', async () => {
    const res = await get(dispatcher);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ title: TITLE, description: DESCRIPTION, contentRestricted: false, mediation: { sessions: 1, outcome: 'agreement' } });
    expect(res.body.attributes).toMatchObject({ disputeType: 'neighbour' });
    expect(res.body.timeline.map((e: { note: string | null }) => e.note)).toEqual(expect.arrayContaining([SESSION_NOTE, OUTCOME_NOTE]));
    expect((await get(dispatcher, '/attachments')).body).toHaveLength(1);
    expect(await listIds(dispatcher, `q=${encodeURIComponent(SEARCH_WORD)}`)).toContain(id);
    const reveal = await t.request('POST', `/api/v1/tickets/${id}/reveal`, { token: dispatcher, body: { reason: '核实当事人身份' } });
    expect(reveal.status).toBe(200);
    expect(reveal.body.attributes.parties[0].name).toBe('王建华');
  });

  it('once a mediator is assigned, the committee\'s other mediators get 404 like anyone outside the case', async () => {
    expect((await get(colleague)).status).toBe(404);
    expect(await listIds(colleague, 'platform=dispute_resolution')).not.toContain(id);
  });

  it.each([
    ['a handler of the co-handling unit', () => coHandler],
    ['a handler of another unit', () => otherHandler],
    ['an official of the district', () => official],
    ['another grid worker of the same grid', () => otherGrid],
    ['a dispatcher of another district', () => otherDispatcher],
  ])('%s gets 404 on every read, and no listing or search shows it', async (_who, token) => {
    for (const path of ['', '/events', '/attachments']) expect((await get(token(), path)).status).toBe(404);
    expect(await listIds(token(), 'platform=dispute_resolution')).not.toContain(id);
    expect(await listIds(token(), `q=${encodeURIComponent(SEARCH_WORD)}`)).not.toContain(id);
    expect(await listIds(token(), `q=${number}`)).not.toContain(id);
  });

  it('the co-handling unit can neither act on it nor reveal its parties', async () => {
    const current = (await get(dispatcher)).body;
    const note = await t.request('POST', `/api/v1/tickets/${id}/actions/add-note`, { token: coHandler, body: { expectedVersion: current.version, note: '协办单位备注' } });
    expect(note.status).toBe(404);
    const reveal = await t.request('POST', `/api/v1/tickets/${id}/reveal`, { token: coHandler, body: { reason: '查看当事人' } });
    expect(reveal.status).toBe(404);
  });

  it('the filing grid worker follows status, number and times, but sees no title, description, parties, sessions, notes or attachments', async () => {
    const res = await get(grid);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id, number, status: 'resolved', platform: 'dispute_resolution', categoryCode: 'DR0101', unitId: ids['HZ-ZQ-TJW'],
      contentRestricted: true, title: null, description: null, address: null, reporter: null, attributes: {}, mediation: null,
    });
    expect(res.body.createdAt).toBeTruthy();
    expect(res.body.resolvedAt).toBeTruthy();
    expect(res.body.clocks.some((c: { stage: string }) => c.stage === 'mediation')).toBe(true);
    // What happened and when, not what was said.
    expect(res.body.timeline.map((e: { action: string }) => e.action)).toEqual(['file', 'register', 'dispatch', 'sign', 'record-mediation', 'resolve']);
    for (const e of res.body.timeline) expect(e).toMatchObject({ note: null, data: {}, attachments: [], contentRestricted: true });
    expect(leaked(res)).toEqual([]);

    const events = await get(grid, '/events');
    expect(events.status).toBe(200);
    expect(events.body.map((e: { to: string }) => e.to)).toEqual(['reported', 'registered', 'dispatched', 'in_progress', 'in_progress', 'resolved']);
    expect(leaked(events)).toEqual([]);

    for (const path of ['/attachments', `/attachments/${(await get(mediator, '/attachments')).body[0].id}`]) {
      const refused = await get(grid, path);
      expect([refused.status, refused.body.code]).toEqual([403, 'DISPUTE_CONTENT_RESTRICTED']);
    }

    const list = await t.request('GET', '/api/v1/tickets?platform=dispute_resolution', { token: grid });
    expect(list.status).toBe(200);
    expect(list.body.items.find((i: { id: string }) => i.id === id)).toMatchObject({ number, status: 'resolved', contentRestricted: true, description: null });
    expect(leaked(list)).toEqual([]);
  });

  it('the filer cannot probe the content by text search; the number still finds it', async () => {
    for (const word of [SEARCH_WORD, '装修', '刘桂兰', '2号楼302']) {
      const res = await t.request('GET', `/api/v1/tickets?q=${encodeURIComponent(word)}`, { token: grid });
      expect(res.status).toBe(200);
      expect(res.body.items.map((i: { id: string }) => i.id)).not.toContain(id);
    }
    const byNumber = await t.request('GET', `/api/v1/tickets?q=${number}`, { token: grid });
    expect(byNumber.body.items.map((i: { id: string }) => i.id)).toEqual([id]);
    expect(leaked(byNumber)).toEqual([]);
  });

  it('duplicate suggestions (text similarity) offer the dispute to its supervisor, never to its filer', async () => {
    const again = await fileDispute(grid);
    expect(again.status).toBe(201);
    expect(again.body.duplicateSuggestions.map((d: { id: string }) => d.id)).not.toContain(id);
    expect(leaked(again)).toEqual([]);
    const byDispatcher = await fileDispute(dispatcher);
    expect(byDispatcher.status).toBe(201);
    expect(byDispatcher.body.contentRestricted).toBe(false);
    expect(byDispatcher.body.duplicateSuggestions.map((d: { id: string }) => d.id)).toContain(id);
  });

  it('the filer still acts on what they filed (the responses are restricted too), and sees the case end', async () => {
    const closed = await mustAct(t, dispatcher, id, 'verify', { passed: true });
    expect(closed.status).toBe('closed');
    const res = await get(grid);
    expect(res.body).toMatchObject({ status: 'closed', contentRestricted: true });
    expect(res.body.closedAt).toBeTruthy();

    const own = await fileDispute(grid);
    const cancelled = await act(t, grid, own.body.id, 'cancel', { note: '当事人已自行和解' });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', contentRestricted: true, description: null });
    expect(leaked(cancelled)).toEqual([]);
  });

  it('a mediator pre-assigned on dispatch is the only mediator who reads it; claim-next gives the claimer the full case', async () => {
    const pre = (await fileDispute(dispatcher)).body.id;
    await mustAct(t, dispatcher, pre, 'register');
    await mustAct(t, dispatcher, pre, 'dispatch', { unitId: ids['HZ-ZQ-TJW'], handlerId: users['zq.mediator.b'] });
    expect((await t.request('GET', `/api/v1/tickets/${pre}`, { token: colleague })).body).toMatchObject({ contentRestricted: false, description: DESCRIPTION });
    expect((await t.request('GET', `/api/v1/tickets/${pre}`, { token: mediator })).status).toBe(404);
    // The committee's inbox lists it for the assigned mediator only.
    const inbox = async (token: string) => (await t.request('GET', `/api/v1/queues/units/${ids['HZ-ZQ-TJW']}`, { token })).body.items.map((i: { id: string }) => i.id);
    expect(await inbox(colleague)).toContain(pre);
    expect(await inbox(mediator)).not.toContain(pre);
    expect(await inbox(dispatcher)).toContain(pre);

    const pooled = (await fileDispute(dispatcher)).body.id;
    await mustAct(t, dispatcher, pooled, 'register');
    await mustAct(t, dispatcher, pooled, 'dispatch', { unitId: ids['HZ-ZQ-TJW'] });
    const claimed = await t.request('POST', `/api/v1/queues/units/${ids['HZ-ZQ-TJW']}/claim-next`, { token: mediator });
    expect(claimed.status).toBe(200);
    expect(claimed.body).toMatchObject({ id: pooled, status: 'in_progress', contentRestricted: false, description: DESCRIPTION });
    expect((await t.request('GET', `/api/v1/tickets/${pooled}`, { token: colleague })).status).toBe(404);
  });
});
