import { DEMO_OPEN311_KEY } from '../../src/database/seeds/demo-open311';
import { createTestApp, type TestApp } from '../support/test-app';
import { MANHOLE, codeIds, fileTicket, mustAct } from '../support/tickets';

/**
 * Personal data typed into free text (SPEC §9): a black-box audit filed a description holding a mobile, an ID number
 * and an e-mail, through POST /api/v1/tickets and through Open311, and read them back in full in the dispatcher's list.
 * Every staff read of the text shows it masked; the stored text is whole (search finds it); the audited reveal gives it
 * back whole.
 */
describe('free text: phones, ID numbers and e-mails typed into it are masked on every staff read 自由文本脱敏', () => {
  let t: TestApp;
  let ids: Record<string, string>;
  let grid: string;
  let dispatcher: string;
  let handler: string;

  const PHONE = '13812345678';
  const ID_NUMBER = '210902199001011234';
  const EMAIL = 'a@b.cn';
  const LANDLINE = '0418-2345678';
  const NOTE_PHONE = '15912348765';
  const NOTE_ID = '21090219850207421X';
  const REASON_PHONE = '13698761234';
  const FIRST_LINE = `井盖丢了 联系我${PHONE} 身份证${ID_NUMBER} 邮箱${EMAIL}`;
  // The audit's text, with a line that must stay as typed: a ticket number, a date, an amount, a house number.
  const DESCRIPTION = `${FIRST_LINE}\n同 FX-20261127-000123，2026-11-27 发现，押金 1500 元，3号楼2单元501`;
  const ADDRESS = `电务小区1号楼南侧 物业${LANDLINE}`;
  const RAW = [PHONE, ID_NUMBER, EMAIL, LANDLINE, NOTE_PHONE, NOTE_ID, REASON_PHONE, ID_NUMBER.slice(6, 14), NOTE_ID.slice(6, 14)];
  const MASKED_FIRST_LINE = '井盖丢了 联系我138****5678 身份证2109**********1234 邮箱a***@b.cn';
  const KEPT = ['FX-20261127-000123', '2026-11-27', '押金 1500 元', '3号楼2单元501'];

  const leaks = (text: string) => RAW.filter((v) => text.includes(v));

  beforeAll(async () => {
    t = await createTestApp();
    ids = await codeIds(t);
    [grid, dispatcher, handler] = await Promise.all(['demo.grid', 'demo.dispatcher', 'demo.handler'].map((u) => t.login(u)));
  });
  afterAll(async () => { await t?.close(); });

  it('POST /tickets: the ticket, list, search, triage, unit queue, events and action answers show it masked; the reveal whole, audited', async () => {
    const filed = await fileTicket(t, grid, { ...MANHOLE, title: FIRST_LINE, description: DESCRIPTION, address: ADDRESS });
    expect(filed.status).toBe(201);
    const id = filed.body.id as string;
    // Stored whole (the masking is on output only).
    const [row] = await t.ds.query(`SELECT title, description, address FROM tickets WHERE id = $1`, [id]);
    expect(row).toEqual({ title: FIRST_LINE, description: DESCRIPTION, address: ADDRESS });

    expect(filed.body).toMatchObject({ title: MASKED_FIRST_LINE, address: '电务小区1号楼南侧 物业041****5678' });
    expect(filed.body.description).toBe(`${MASKED_FIRST_LINE}\n同 FX-20261127-000123，2026-11-27 发现，押金 1500 元，3号楼2单元501`);

    const answers: Array<[string, string]> = [['file', filed.text]];
    const read = async (label: string, url: string, token = dispatcher) => {
      const res = await t.request('GET', url, { token });
      expect([label, res.status]).toEqual([label, 200]);
      answers.push([label, res.text]);
      return res.body;
    };
    const list = await read('list', '/api/v1/tickets?limit=200');
    expect(list.items.find((x: { id: string }) => x.id === id)).toMatchObject({ title: MASKED_FIRST_LINE });
    // Text search reads the masked text: a word of it, and the masked phone as shown, find the ticket; the phone's
    // hidden digits, the whole number, the ID number or the e-mail do not (search cannot probe what an answer hides).
    for (const q of ['井盖丢了', '138****5678', '联系我', '物业']) {
      const found = await read(`search ${q}`, `/api/v1/tickets?q=${encodeURIComponent(q)}`);
      expect([q, found.items.map((x: { id: string }) => x.id)]).toEqual([q, expect.arrayContaining([id])]);
    }
    for (const q of [PHONE, PHONE.slice(0, 5), PHONE.slice(2, 8), ID_NUMBER, ID_NUMBER.slice(6, 14), EMAIL, LANDLINE]) {
      const found = await read(`search ${q}`, `/api/v1/tickets?q=${encodeURIComponent(q)}`);
      expect([q, found.items.map((x: { id: string }) => x.id)]).toEqual([q, expect.not.arrayContaining([id])]);
    }
    const triage = await read('triage', '/api/v1/queues/triage?limit=200');
    expect(triage.items.find((x: { id: string }) => x.id === id)).toMatchObject({ title: MASKED_FIRST_LINE });

    const registered = await mustAct(t, dispatcher, id, 'register', { note: `已电话核实 ${NOTE_PHONE}` });
    answers.push(['register', JSON.stringify(registered)]);
    answers.push(['dispatch', JSON.stringify(await mustAct(t, dispatcher, id, 'dispatch', { unitId: ids['FX-SZSS'], note: `报案人身份证 ${NOTE_ID}，见 FX-20261127-000123` }))]);
    const inbox = await read('unit queue', `/api/v1/queues/units/${ids['FX-SZSS']}?limit=200`, handler);
    expect(inbox.items.find((x: { id: string }) => x.id === id)).toMatchObject({ title: MASKED_FIRST_LINE });
    answers.push(['sign', JSON.stringify(await mustAct(t, handler, id, 'sign'))]);
    answers.push(['suspend', JSON.stringify(await mustAct(t, handler, id, 'suspend', { reason: `等待业主回电 ${REASON_PHONE}` }))]);

    const detail = await read('ticket', `/api/v1/tickets/${id}`);
    expect(detail).toMatchObject({ title: MASKED_FIRST_LINE, address: '电务小区1号楼南侧 物业041****5678' });
    const events = await read('events', `/api/v1/tickets/${id}/events`);
    const byAction = (action: string) => events.find((e: { action: string }) => e.action === action);
    expect(byAction('register').note).toBe('已电话核实 159****8765');
    expect(byAction('dispatch').note).toBe('报案人身份证 2109**********421X，见 FX-20261127-000123');
    expect(byAction('suspend').data.reason).toBe('等待业主回电 136****1234');
    expect(detail.timeline).toEqual(events);
    await read('handler ticket', `/api/v1/tickets/${id}`, handler);

    expect(answers.flatMap(([label, text]) => leaks(text).map((v) => `${label}: ${v}`))).toEqual([]);
    for (const kept of KEPT) expect([kept, answers.find(([l]) => l === 'ticket')![1].includes(kept)]).toEqual([kept, true]);

    // The reveal: the free text whole, with the notes and reasons, after an audit row with the stated reason.
    const reveal = await t.request('POST', `/api/v1/tickets/${id}/reveal`, { token: dispatcher, body: { reason: '核实报案人联系方式' } });
    expect(reveal.status).toBe(200);
    expect(reveal.body).toMatchObject({
      reporter: { name: MANHOLE.reporter.name, phone: MANHOLE.reporter.phone }, attributes: expect.any(Object),
      title: FIRST_LINE, description: DESCRIPTION, address: ADDRESS,
    });
    expect(reveal.body.notes).toEqual([
      { seq: expect.any(Number), action: 'register', note: `已电话核实 ${NOTE_PHONE}`, reason: null, publicNote: null },
      { seq: expect.any(Number), action: 'dispatch', note: `报案人身份证 ${NOTE_ID}，见 FX-20261127-000123`, reason: null, publicNote: null },
      { seq: expect.any(Number), action: 'suspend', note: null, reason: `等待业主回电 ${REASON_PHONE}`, publicNote: null },
    ]);
    const audit = await t.ds.query(`SELECT actor_username, target, details FROM audit_log WHERE action = 'pii.reveal' AND target = $1`, [id]);
    expect(audit).toEqual([{ actor_username: 'demo.dispatcher', target: id, details: { reason: '核实报案人联系方式', ticketNumber: filed.body.number } }]);
    expect(leaks(JSON.stringify(await t.ds.query(`SELECT * FROM audit_log`)))).toEqual([]);
    // Without the permission, or without a reason, nothing is revealed.
    expect((await t.request('POST', `/api/v1/tickets/${id}/reveal`, { token: grid, body: { reason: '想看看' } })).status).toBe(403);
    expect((await t.request('POST', `/api/v1/tickets/${id}/reveal`, { token: dispatcher, body: {} })).status).toBe(400);
  });

  it('Open311: the filed description shows masked to staff (ticket, list, triage) and is found by search', async () => {
    const form = {
      api_key: DEMO_OPEN311_KEY, service_code: '0101', lat: '42.02698', long: '121.65952', address_string: '电务小区3号楼东侧',
      description: FIRST_LINE, 'attribute[case_standard]': 'missing',
    };
    const filed = await t.request('POST', '/open311/v2/requests.json', {
      raw: new URLSearchParams(form).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(filed.status).toBe(200);
    const number = filed.body[0].service_request_id as string;
    const [{ id }] = await t.ds.query(`SELECT id FROM tickets WHERE number = $1`, [number]);
    const texts: string[] = [];
    const get = async (url: string) => {
      const res = await t.request('GET', url, { token: dispatcher });
      expect([url, res.status]).toEqual([url, 200]);
      texts.push(res.text);
      return res.body;
    };
    const ticket = await get(`/api/v1/tickets/${id}`);
    expect(ticket.description).toBe(MASKED_FIRST_LINE);
    expect(ticket.title).toContain('井盖丢了 联系我138****5678');
    const found = await get(`/api/v1/tickets?q=${encodeURIComponent('井盖丢了')}`);
    expect(found.items.map((x: { number: string }) => x.number)).toContain(number);
    const triage = await get('/api/v1/queues/triage?limit=200');
    expect(triage.items.map((x: { id: string }) => x.id)).toContain(id);
    await get(`/api/v1/tickets/${id}/events`);
    expect(texts.flatMap(leaks)).toEqual([]);
    const reveal = await t.request('POST', `/api/v1/tickets/${id}/reveal`, { token: dispatcher, body: { reason: '核实来件' } });
    expect(reveal.body.description).toBe(FIRST_LINE);
  });
});
