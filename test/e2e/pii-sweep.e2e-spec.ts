import { RequestMethod } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import ExcelJS from 'exceljs';
import { inflateRawSync } from 'node:zlib';
import { DEMO_OPEN311_KEY } from '../../src/database/seeds/demo-open311';
import { RollupService } from '../../src/modules/reports/rollup.service';
import { maskPersonalText } from '../../src/common/personal-text';
import { maskIdNumber, maskName, maskPhone } from '../../src/modules/tickets/personal-data';
import { createTestApp, type HttpResponse, type TestApp } from '../support/test-app';
import { JPEG, MANHOLE, codeIds } from '../support/tickets';
import { foldAll } from './reports-history';

/**
 * Issue 3, "personal data never leaves unmasked": personal data is filed through the real API (a reporter, the
 * parties of a dispute, an Open311 resident with e-mail and device id), worked on, folded into the reports, and
 * then EVERY GET route of the application (found through Nest's DiscoveryService, so a new route is swept
 * without anyone remembering to add it) is called by every role and anonymously, in every format. The answers
 * of the writes made on the way (filings, actions, claim-next, materials) are checked too. No answer,
 * no log line, no audit row and no table at rest may hold a raw value. The one exception is the audited
 * POST /api/v1/tickets/:id/reveal, which is not a GET and whose answers this test leaves out on purpose.
 * Personal data typed into free text (a description, an action note, a reason) counts too: it must leave masked
 * everywhere; only the ticket's own text columns and its event log keep it whole at rest (so that search works).
 */

// Distinctive values: none of them occurs anywhere else in the seeds or fixtures.
const REPORTER = { name: '欧阳明轩', phone: '13912345678' }; // community governance + hotline reporter
const INBOX_REPORTER = { name: '诸葛云澜', phone: '13687654321' }; // ticket left in a unit's inbox
const TRIAGE_REPORTER = { name: '皇甫思远', phone: '15098765432' }; // ticket left in triage
const PARTIES = [
  { role: 'applicant', name: '慕容雪晴', phone: '13798761234', idNumber: '210902198807156617' },
  { role: 'respondent', name: '东方浩然', phone: '18641807777', idNumber: '21090219750302452X' },
];
const RESIDENT = { first_name: '若曦', last_name: '上官', phone: '15541806789', email: 'shangguan.ruoxi@example.cn', device_id: 'pii-sweep-device-9c1e' };
const RESIDENT_NAME = `${RESIDENT.last_name}${RESIDENT.first_name}`;
const REVEAL_REASON = '回访核实调解进展';
/** Typed into free text: a description (POST /tickets and Open311), action notes and a reason. */
const TYPED = {
  descriptionPhone: '13504189753', descriptionId: '210902197803154418', open311Email: 'liu.xiaoyan@example.org', open311Phone: '18841801357',
  notePhone: '18241809876', noteId: '21090219691122003X', reasonPhone: '0418-3312579',
};
const TYPED_SECRETS = [
  ...Object.values(TYPED), TYPED.open311Email.split('@')[0]!, TYPED.descriptionId.slice(6, 14), TYPED.noteId.slice(6, 14),
];

/** What masking hides of a name: all but the family name's first character. */
const hiddenPart = (name: string) => [...name].slice(1).join('');
const SECRETS: string[] = [
  ...[REPORTER, INBOX_REPORTER, TRIAGE_REPORTER, ...PARTIES].flatMap((p) => [p.name, hiddenPart(p.name), p.phone]),
  // The ID numbers and the birth dates inside them (what the mask hides).
  ...PARTIES.flatMap((p) => [p.idNumber, p.idNumber.slice(6, 14)]),
  RESIDENT_NAME, hiddenPart(RESIDENT_NAME), RESIDENT.first_name, RESIDENT.phone, RESIDENT.email, RESIDENT.email.split('@')[0]!, RESIDENT.device_id,
  ...TYPED_SECRETS,
];

const MEDIATOR = { username: 'pii.mediator', password: 'Staff@2026!x' };
const CALLERS = ['demo.grid', 'demo.dispatcher', 'demo.handler', 'demo.official', 'demo.admin', 'demo.auditor', MEDIATOR.username, 'anonymous'] as const;

/** Also the text as it would read with JSON `\uXXXX` escapes, XML character references or %-encoding undone. */
function readings(text: string): string[] {
  const unescaped = text.replace(/\\u([0-9a-fA-F]{4})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  const entities = text
    .replace(/&#x([0-9a-fA-F]+);/g, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#([0-9]+);/g, (_, d: string) => String.fromCodePoint(Number(d)));
  const percent = text.replace(/(?:%[0-9A-Fa-f]{2})+/g, (m) => {
    try { return decodeURIComponent(m); } catch { return m; }
  });
  return [text, unescaped, entities, percent].map((s) => s.toLowerCase());
}

/** The raw personal values found in a text (any reading of it). */
function leaksIn(text: string, secrets: readonly string[] = SECRETS): string[] {
  const all = readings(text);
  return secrets.filter((s) => all.some((r) => r.includes(s.toLowerCase())));
}

/** Every entry of a ZIP (an .xlsx) as text: the central directory gives names, sizes and offsets; stored or deflated. */
function unzipText(buf: Buffer): string {
  const eocd = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error('not a ZIP file');
  const entries = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const out: string[] = [];
  for (let i = 0; i < entries; i++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error('broken ZIP central directory');
    const method = buf.readUInt16LE(p + 10);
    const size = buf.readUInt32LE(p + 20);
    const nameLength = buf.readUInt16LE(p + 28);
    const skip = nameLength + buf.readUInt16LE(p + 30) + buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.toString('utf8', p + 46, p + 46 + nameLength);
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const data = buf.subarray(start, start + size);
    if (method !== 0 && method !== 8) throw new Error(`ZIP entry ${name}: compression method ${method}`);
    out.push(`${name}\n${(method === 8 ? inflateRawSync(data) : data).toString('utf8')}`);
    p += 46 + skip;
  }
  return out.join('\n');
}

/** Cell values as ExcelJS reads them (a second reading of the same workbook, and a check that it is one). */
async function xlsxCells(buf: Buffer): Promise<string> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(buf as unknown as ExcelJS.Buffer);
  const cells: string[] = [];
  wb.eachSheet((sheet) => {
    cells.push(sheet.name);
    sheet.eachRow((row) => row.eachCell((cell) => { cells.push(String(cell.text ?? '')); }));
  });
  return cells.join('\t');
}

interface Route { path: string; handler: string }

/** Every GET route (and ALL, which answers GET) of every controller: controller prefix × method path. */
function getRoutes(t: TestApp): Route[] {
  const discovery = t.app.get(DiscoveryService);
  const scanner = t.app.get(MetadataScanner);
  const routes: Route[] = [];
  const list = (v: unknown): string[] => (v === undefined ? [''] : Array.isArray(v) ? v.map(String) : [String(v)]);
  const join = (...parts: string[]) => `/${parts.flatMap((x) => x.split('/')).filter(Boolean).join('/')}`;
  for (const wrapper of discovery.getControllers()) {
    const instance = wrapper.instance as object | undefined;
    if (!instance) continue;
    const proto = Object.getPrototypeOf(instance) as Record<string, unknown>;
    // 'path' / 'method': Nest's PATH_METADATA / METHOD_METADATA.
    const prefixes = list(Reflect.getMetadata('path', instance.constructor));
    for (const name of scanner.getAllMethodNames(proto)) {
      const handler = proto[name] as object;
      const paths = Reflect.getMetadata('path', handler) as string | string[] | undefined;
      if (paths === undefined) continue;
      const method = Reflect.getMetadata('method', handler) as RequestMethod | undefined;
      if (method !== RequestMethod.GET && method !== RequestMethod.ALL) continue;
      for (const prefix of prefixes) for (const p of list(paths)) routes.push({ path: join(prefix, p), handler: `${instance.constructor.name}.${name}` });
    }
  }
  return routes;
}

interface Answer { caller: string; url: string; status: number; type: string; text: string }
interface OpenStream { caller: string; url: string; chunks: Buffer[]; abort: () => void }

describe('personal data sweep: every GET route, every role, every format, the logs and the audit log 个人信息', () => {
  const logLines: string[] = [];
  let t: TestApp;
  let ids: Record<string, string>;
  const tokens: Record<string, string | undefined> = { anonymous: undefined };
  /** Every answer the test saw outside the sweep (setup, refused filings), except the successful reveals. */
  const seen: Array<{ label: string; text: string }> = [];
  const answers: Answer[] = [];
  const streams: OpenStream[] = [];
  const tickets: Record<'closed' | 'inbox' | 'triage' | 'dispute' | 'hotline' | 'open311' | 'claimed' | 'worked' | 'merged' | 'services', { id: string; number: string }> = {} as never;
  let attachmentId: string;
  let ruleId: string;
  let mediatorId: string;

  const keep = (label: string, res: HttpResponse) => {
    seen.push({ label, text: `${res.text}\n${JSON.stringify(res.headers)}` });
    return res;
  };
  const call = (label: string, method: string, url: string, opts: Parameters<TestApp['request']>[2] = {}) => t.request(method, url, opts).then((res) => keep(label, res));
  const must = async (label: string, method: string, url: string, opts: Parameters<TestApp['request']>[2] = {}, status = [200, 201]) => {
    const res = await call(label, method, url, opts);
    if (!status.includes(res.status)) throw new Error(`${label}: ${method} ${url} → ${res.status} ${res.text}`);
    return res.body;
  };
  const act = async (who: string, ticketId: string, action: string, body: Record<string, unknown> = {}) => {
    const current = await must(`${action}: load`, 'GET', `/api/v1/tickets/${ticketId}`, { token: tokens[who] });
    return must(`${action} by ${who}`, 'POST', `/api/v1/tickets/${ticketId}/actions/${action}`, { token: tokens[who], body: { expectedVersion: current.version, ...body } });
  };
  const file = async (label: string, who: string, body: Record<string, unknown>) => {
    const created = await must(label, 'POST', '/api/v1/tickets', { token: tokens[who], body }, [201]);
    return { id: created.id as string, number: created.number as string };
  };
  const open311Form = (path: string, form: Record<string, string>) => call(`open311 ${path}`, 'POST', path, {
    raw: new URLSearchParams(form).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });

  beforeAll(async () => {
    t = await createTestApp({
      env: { LOG_LEVEL: 'debug', OPEN311_ANON_PER_MINUTE: '1000000' },
      logDestination: { write: (line: string) => { logLines.push(line); } },
    });
    ids = await codeIds(t);
    // The sweep reads Open311 with the demo key too: far more than its 120 calls a minute.
    await t.ds.query(`UPDATE open311_api_keys SET rate_limit_per_minute = 100000`);
    for (const u of CALLERS.slice(0, 6)) tokens[u] = await t.login(u);
    const mediator = await must('create mediator', 'POST', '/api/v1/admin/users', {
      token: tokens['demo.admin'],
      body: { username: MEDIATOR.username, displayName: '站前街道调解员', role: 'handler', scopeNodeId: ids['210902001'], unitId: ids['HZ-ZQ-TJW'], password: MEDIATOR.password },
    }, [201]);
    mediatorId = mediator.id;
    tokens[MEDIATOR.username] = await t.login(MEDIATOR.username, MEDIATOR.password);

    // A manhole cover, through the whole workflow with a site photo: closed.
    tickets.closed = await file('file closed', 'demo.grid', {
      ...MANHOLE, title: '个人信息巡检 井盖缺失', reporter: REPORTER,
      description: `井盖缺失，发现人电话${TYPED.descriptionPhone}，身份证号${TYPED.descriptionId}`,
    });
    await act('demo.dispatcher', tickets.closed.id, 'register', { note: '符合立案条件' });
    await act('demo.dispatcher', tickets.closed.id, 'dispatch', { unitId: ids['FX-SZSS'] });
    await act('demo.handler', tickets.closed.id, 'sign');
    const photo = await must('upload', 'POST', `/api/v1/tickets/${tickets.closed.id}/attachments`, { token: tokens['demo.handler'], raw: JPEG, headers: { 'content-type': 'image/jpeg' } }, [201]);
    attachmentId = photo.id;
    await act('demo.handler', tickets.closed.id, 'resolve', { note: '已更换新井盖', attachmentIds: [attachmentId] });
    await act('demo.grid', tickets.closed.id, 'verify', { passed: true, note: '现场核查通过' });
    // One waiting in a unit's inbox, one in triage.
    tickets.inbox = await file('file inbox', 'demo.grid', { ...MANHOLE, standardCode: 'damaged', title: '个人信息巡检 井盖松动', reporter: INBOX_REPORTER });
    await act('demo.dispatcher', tickets.inbox.id, 'register');
    await act('demo.dispatcher', tickets.inbox.id, 'dispatch', { unitId: ids['FX-SZSS'] });
    tickets.triage = await file('file triage', 'demo.grid', { ...MANHOLE, title: '个人信息巡检 待立案', reporter: TRIAGE_REPORTER });
    // A dispute with its parties (names, phones, ID numbers), with the mediators.
    tickets.dispute = await file('file dispute', 'demo.grid', {
      categoryCode: 'DR0101', title: '个人信息巡检 装修噪声纠纷', description: '2号楼住户反映楼上夜间装修噪声', channel: 'patrol',
      attributes: { disputeType: 'neighbour', parties: PARTIES },
    });
    await act('demo.dispatcher', tickets.dispute.id, 'register');
    await act('demo.dispatcher', tickets.dispute.id, 'dispatch', { unitId: ids['HZ-ZQ-TJW'] });
    await act(MEDIATOR.username, tickets.dispute.id, 'sign');
    await act(MEDIATOR.username, tickets.dispute.id, 'record-mediation', { note: '第一次调解，双方同意限定施工时间' });
    // A hotline request, called back and archived (satisfaction for the rates report).
    tickets.hotline = await file('file hotline', 'demo.dispatcher', {
      categoryCode: 'RH0101', title: '个人信息巡检 供暖温度不达标', description: '来电反映室温偏低', channel: 'hotline',
      reporter: REPORTER, attributes: { requestType: 'complaint' },
    });
    await act('demo.dispatcher', tickets.hotline.id, 'register');
    await act('demo.dispatcher', tickets.hotline.id, 'dispatch', { unitId: ids['FX-SZSS'] });
    await act('demo.handler', tickets.hotline.id, 'sign');
    await act('demo.handler', tickets.hotline.id, 'first-contact', { note: `已电话联系来电人，另留电话 ${TYPED.notePhone}` });
    await act('demo.handler', tickets.hotline.id, 'resolve', { note: '已调整供暖' });
    await act('demo.dispatcher', tickets.hotline.id, 'callback', { contacted: true, resolved: true, satisfaction: 'satisfied' });
    // The answers of the writes besides GET (their labels are checked one by one in the second test): claim-next of a
    // dispute with its parties, the materials checklist, and return, reassign, merge, suspend and supervise.
    tickets.claimed = await file('file claimed', 'demo.grid', {
      categoryCode: 'DR0101', title: '个人信息巡检 领取的纠纷', description: '楼道堆物纠纷', channel: 'patrol',
      attributes: { disputeType: 'neighbour', parties: PARTIES },
    });
    await act('demo.dispatcher', tickets.claimed.id, 'register');
    await act('demo.dispatcher', tickets.claimed.id, 'dispatch', { unitId: ids['HZ-ZQ-TJW'] });
    const claimed = await must('claim-next', 'POST', `/api/v1/queues/units/${ids['HZ-ZQ-TJW']}/claim-next`, { token: tokens[MEDIATOR.username] }, [200]);
    expect(claimed.id).toBe(tickets.claimed.id);
    tickets.worked = await file('file worked', 'demo.grid', { ...MANHOLE, standardCode: 'damaged', title: '个人信息巡检 改派挂起退单', reporter: REPORTER });
    await act('demo.dispatcher', tickets.worked.id, 'register');
    await act('demo.dispatcher', tickets.worked.id, 'dispatch', { unitId: ids['FX-WATER'] });
    await act('demo.dispatcher', tickets.worked.id, 'reassign', { unitId: ids['FX-SZSS'], note: '改派市政设施服务中心' });
    await act('demo.handler', tickets.worked.id, 'sign');
    await act('demo.handler', tickets.worked.id, 'suspend', { reason: `道路封闭施工，施工方电话 ${TYPED.reasonPhone}` });
    await act('demo.dispatcher', tickets.worked.id, 'suspend', { approved: true });
    await act('demo.official', tickets.worked.id, 'supervise', { note: `请加快处置，当事人身份证 ${TYPED.noteId}` });
    await act('demo.handler', tickets.worked.id, 'resume');
    await act('demo.handler', tickets.worked.id, 'return', { reason: 'wrong_function', note: '不属于本单位职责' });
    tickets.merged = await file('file merged', 'demo.grid', { ...MANHOLE, title: '个人信息巡检 重复上报', reporter: INBOX_REPORTER });
    await act('demo.dispatcher', tickets.merged.id, 'merge', { parentId: tickets.triage.id });
    tickets.services = await file('file services', 'demo.grid', {
      categoryCode: 'CS02', title: '个人信息巡检 高龄补贴核查', description: '老人行动不便', channel: 'patrol',
      reporter: REPORTER, attributes: { serviceType: 'home_visit' }, materialsProvided: ['居民身份证'],
    });
    await act('demo.dispatcher', tickets.services.id, 'register');
    await act('demo.dispatcher', tickets.services.id, 'dispatch', { unitId: ids['HZ-BMFW'] });
    const checklist = (await must('category CS02', 'GET', '/api/v1/categories/CS02', { token: tokens['demo.dispatcher'] })).materials as string[];
    const services = await must('services: load', 'GET', `/api/v1/tickets/${tickets.services.id}`, { token: tokens['demo.dispatcher'] });
    await must('materials', 'POST', `/api/v1/tickets/${tickets.services.id}/materials`, { token: tokens['demo.dispatcher'], body: { expectedVersion: services.version, provided: checklist } }, [200]);

    // A resident through Open311, with name, phone, e-mail and device id.
    const filed = await open311Form('/open311/v2/requests.json', {
      api_key: DEMO_OPEN311_KEY, service_code: '0101', lat: '42.02698', long: '121.65952', address_string: '阜新市海州区站前街道电务小区1号楼南侧',
      description: `井盖丢失，有坠落危险，联系 ${TYPED.open311Phone} 或 ${TYPED.open311Email}`, 'attribute[case_standard]': 'missing', ...RESIDENT,
    });
    if (filed.status !== 200) throw new Error(`open311 filing: ${filed.status} ${filed.text}`);
    const number = filed.body[0].service_request_id as string;
    tickets.open311 = { id: (await t.ds.query(`SELECT id FROM tickets WHERE number = $1`, [number]))[0].id, number };
    await act('demo.dispatcher', tickets.open311.id, 'register');

    // Refused filings that carry the personal data (their answers and log lines are checked too).
    const refused = [
      await call('unknown category', 'POST', '/api/v1/tickets', { token: tokens['demo.grid'], body: { ...MANHOLE, categoryCode: 'ZZ99', reporter: REPORTER } }),
      await call('bad phone', 'POST', '/api/v1/tickets', { token: tokens['demo.grid'], body: { ...MANHOLE, reporter: { name: REPORTER.name, phone: `${REPORTER.phone}#` } } }),
      await call('bad id number', 'POST', '/api/v1/tickets', {
        token: tokens['demo.grid'],
        body: { categoryCode: 'DR0101', title: '纠纷', description: '纠纷', channel: 'patrol', attributes: { disputeType: 'neighbour', parties: [{ ...PARTIES[0]!, idNumber: PARTIES[0]!.idNumber.slice(0, 17) }, PARTIES[1]] } },
      }),
      await open311Form('/open311/v2/requests.json', { api_key: DEMO_OPEN311_KEY, service_code: '0101', lat: '91', long: '121.65952', ...RESIDENT, email: RESIDENT.email.replace('@', '@@') }),
      await open311Form('/open311/v2/requests.xml', { api_key: DEMO_OPEN311_KEY, service_code: '0101', lat: '42.02698', long: '121.65952', ...RESIDENT, phone: `${RESIDENT.phone}x` }),
      await call('reveal without reason', 'POST', `/api/v1/tickets/${tickets.dispute.id}/reveal`, { token: tokens['demo.dispatcher'], body: {} }),
      await call('reveal by grid', 'POST', `/api/v1/tickets/${tickets.dispute.id}/reveal`, { token: tokens['demo.grid'], body: { reason: REVEAL_REASON } }),
    ];
    expect(refused.map((r) => r.status >= 400 && r.status < 500)).toEqual(refused.map(() => true));

    // The audited reveal: the only answer with the full values, NOT added to `seen`. It proves what is stored.
    const reveal = await t.request('POST', `/api/v1/tickets/${tickets.dispute.id}/reveal`, { token: tokens['demo.dispatcher'], body: { reason: REVEAL_REASON } });
    expect(reveal.status).toBe(200);
    expect(reveal.body.attributes.parties).toEqual(PARTIES);
    const revealOpen311 = await t.request('POST', `/api/v1/tickets/${tickets.open311.id}/reveal`, { token: tokens['demo.dispatcher'], body: { reason: REVEAL_REASON } });
    expect(revealOpen311.body.reporter).toEqual({ name: RESIDENT_NAME, phone: RESIDENT.phone });
    expect(revealOpen311.body.description).toContain(TYPED.open311Email);

    // An (inactive) routing rule, so that GET /dispatch/rules/:id has something to show.
    ruleId = (await must('rule', 'POST', '/api/v1/dispatch/rules', {
      token: tokens['demo.dispatcher'],
      body: { name: '巡检规则', platform: 'community_governance', categoryCodes: ['0115'], gridNodeId: ids['210902'], unitId: ids['FX-CGJ'], position: 100, active: false },
    }, [201])).id;
    // The reports read folded facts.
    await foldAll(t.ds, t.app.get(RollupService));
  }, 120_000);

  afterAll(async () => {
    for (const s of streams) s.abort();
    await t?.close();
  });

  /** GET as a caller: the whole body, or for a server-sent event stream the stream left open (read later). */
  async function get(caller: string, url: string): Promise<void> {
    const fastify = t.app.getHttpAdapter().getInstance();
    const ac = new AbortController();
    const token = tokens[caller];
    const res = await fastify.inject({ method: 'GET', url, headers: token ? { authorization: `Bearer ${token}` } : {}, payloadAsStream: true, signal: ac.signal });
    const type = String(res.headers['content-type'] ?? '');
    const chunks: Buffer[] = [];
    const stream = res.stream();
    stream.on('error', () => undefined);
    const ended = new Promise<boolean>((resolve) => {
      stream.on('data', (c: Buffer) => { chunks.push(Buffer.from(c)); });
      stream.on('end', () => resolve(true));
      stream.on('close', () => resolve(true));
    });
    if (type.includes('text/event-stream')) {
      // Server-sent events never end: kept open while the sweep goes on and a live action happens (see below).
      streams.push({ caller, url, chunks, abort: () => ac.abort() });
      answers.push({ caller, url, status: res.statusCode, type, text: JSON.stringify(res.headers) });
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([ended, new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), 20_000); })]);
    clearTimeout(timer);
    if (!finished) {
      ac.abort();
      throw new Error(`${caller} GET ${url} (${type}) neither ended nor streamed events within 20 s`);
    }
    const body = Buffer.concat(chunks);
    let text = body.toString('utf8');
    if (type.includes('spreadsheetml')) text = `${unzipText(body)}\n${await xlsxCells(body)}`;
    answers.push({ caller, url, status: res.statusCode, type, text: `${text}\n${JSON.stringify(res.headers)}` });
  }

  it('calls every GET route with every role, anonymously and in every format; no answer holds a raw personal value', async () => {
    const routes = getRoutes(t);
    expect(routes.length).toBeGreaterThan(30);
    const ticketIds = Object.values(tickets).map((x) => x.id);
    const numbers = Object.values(tickets).map((x) => x.number);
    const codes = async (sql: string) => (await t.ds.query(sql) as Array<{ code: string }>).map((r) => r.code);
    /** Path parameter → values, by the literal segment before it (`units/:id` is an org unit, `units/:unitId` a queue). */
    const PARAMS: Record<string, string[]> = {
      'tickets/:id': ticketIds,
      'attachments/:attachmentId': [attachmentId],
      'grid-nodes/:id': [ids['210900']!, ids['210902001']!, ids['210902001001001']!],
      'units/:id': [ids['FX-SZSS']!, ids['HZ-ZQ-TJW']!],
      'units/:unitId': [ids['FX-SZSS']!, ids['HZ-ZQ-TJW']!, ids['HZ-CC']!],
      'users/:id': [mediatorId, ...(await t.ds.query(`SELECT id FROM users WHERE username = 'demo.grid'`) as Array<{ id: string }>).map((r) => r.id)],
      'rules/:id': [ruleId],
      'calendars/:code': await codes(`SELECT code FROM sla_calendars`),
      'platforms/:code': await codes(`SELECT code FROM platforms`),
      'categories/:code': ['0101', 'DR0101', 'RH0101'],
    };
    /** Routes whose parameters depend on each other: their concrete paths. */
    const fmt = (names: string[]) => names.flatMap((n) => [`${n}.json`, `${n}.xml`]);
    const ROUTES: Record<string, string[]> = {
      '/open311/v2/:file': fmt(['discovery', 'services', 'requests']).map((f) => `/open311/v2/${f}`),
      '/open311/v2/:dir/:file': [
        ...fmt(['0101', 'DR0101', 'RH0101']).map((f) => `/open311/v2/services/${f}`),
        ...['requests', 'request'].flatMap((dir) => fmt(numbers).map((f) => `/open311/v2/${dir}/${f}`)),
      ],
    };
    const QUERIES: Record<string, string[]> = {
      '/api/v1/tickets': ['', '?limit=200', '?platform=dispute_resolution'],
      '/api/v1/audit': ['?limit=500'],
      '/api/v1/queues/triage': ['?limit=200'],
    };
    const queries = (route: string): string[] => {
      // Report routes: JSON and both exports (the unzipped .xlsx XML is what gets searched), by two groupings.
      if (route.startsWith('/api/v1/reports/')) return ['', '?format=csv', '?format=xlsx', '?groupBy=unit&format=csv', '?groupBy=category&format=xlsx'];
      if (route.startsWith('/open311/')) return ['', `?jurisdiction_id=210900&api_key=${DEMO_OPEN311_KEY}`];
      return QUERIES[route] ?? [''];
    };

    const unfilled: string[] = [];
    const urls = new Map<string, string[]>();
    for (const route of routes) {
      let paths: string[] = [];
      if (ROUTES[route.path]) paths = ROUTES[route.path]!;
      else {
        paths = [''];
        const segments = route.path.split('/').filter(Boolean);
        segments.forEach((seg, i) => {
          let values = [seg];
          if (seg.startsWith(':')) {
            const key = `${segments[i - 1] ?? ''}/${seg}`;
            values = PARAMS[key] ?? [];
            if (values.length === 0) unfilled.push(`${route.handler} ${route.path} (${key})`);
          }
          paths = paths.flatMap((p) => values.map((v) => `${p}/${v}`));
        });
      }
      urls.set(`${route.path} ${route.handler}`, paths.flatMap((p) => queries(route.path).map((q) => `${p}${q}`)));
    }
    // A new GET route with a parameter this test cannot fill must be added above, not silently skipped.
    expect(unfilled).toEqual([]);

    for (const list of urls.values()) {
      for (const url of list) await Promise.all(CALLERS.map((caller) => get(caller, url)));
    }

    // First what matters: no raw value anywhere (a failure lists caller, URL, status and value).
    const leaks = answers.flatMap((a) => leaksIn(a.text).map((s) => `${a.caller} GET ${a.url} → ${a.status}: ${s}`));
    expect({ leaks: leaks.length, first: leaks.slice(0, 40) }).toEqual({ leaks: 0, first: [] });
    const setupLeaks = seen.flatMap((s) => leaksIn(s.text).map((x) => `${s.label}: ${x}`));
    expect(setupLeaks).toEqual([]);
    // The sweep saw data, not just refusals: every route answered 2xx to someone, the masked forms were shown.
    const answered = [...urls.entries()].filter(([, list]) => !answers.some((a) => list.includes(a.url) && a.status >= 200 && a.status < 300)).map(([route]) => route);
    expect(answered).toEqual([]);
    const all = answers.map((a) => a.text).join('\n');
    for (const masked of [
      maskPhone(REPORTER.phone), maskName(REPORTER.name), maskPhone(INBOX_REPORTER.phone), maskName(PARTIES[0]!.name), maskIdNumber(PARTIES[0]!.idNumber),
      maskIdNumber(PARTIES[1]!.idNumber), maskPhone(RESIDENT.phone),
      // What was typed into free text, in its masked form (the descriptions, a note, a reason).
      ...[TYPED.descriptionPhone, TYPED.descriptionId, TYPED.open311Phone, TYPED.open311Email, TYPED.notePhone, TYPED.noteId, TYPED.reasonPhone].map((v) => maskPersonalText(v)),
    ]) {
      expect([masked, all.includes(masked)]).toEqual([masked, true]);
    }
    expect(answers.some((a) => a.type.includes('spreadsheetml') && a.status === 200)).toBe(true);
    expect(answers.some((a) => a.type.includes('text/csv') && a.status === 200)).toBe(true);
    expect(answers.some((a) => a.type.includes('xml') && a.url.startsWith('/open311/') && a.status === 200)).toBe(true);
  }, 600_000);

  it('the answers of claim-next, materials and the return, reassign, merge, suspend and supervise actions hold no raw personal value', () => {
    // Each write answered with the ticket (masked personal data shown), so the check below had data to look at.
    const masked: Record<string, string[]> = {
      'claim-next': [maskName(PARTIES[0]!.name), maskPhone(PARTIES[1]!.phone), maskIdNumber(PARTIES[0]!.idNumber)],
      materials: [maskName(REPORTER.name), maskPhone(REPORTER.phone)],
      'reassign by demo.dispatcher': [maskPhone(REPORTER.phone)],
      'suspend by demo.handler': [maskPhone(REPORTER.phone)],
      'suspend by demo.dispatcher': [maskPhone(REPORTER.phone)],
      'supervise by demo.official': [maskPhone(REPORTER.phone)],
      'file closed': [maskPersonalText(TYPED.descriptionPhone), maskPersonalText(TYPED.descriptionId)],
      'return by demo.handler': [maskPhone(REPORTER.phone)],
      'merge by demo.dispatcher': [maskName(INBOX_REPORTER.name), maskPhone(INBOX_REPORTER.phone)],
    };
    for (const [label, forms] of Object.entries(masked)) {
      const answers = seen.filter((x) => x.label === label);
      expect([label, answers.length > 0]).toEqual([label, true]);
      for (const form of forms) expect([label, form, answers.some((a) => a.text.includes(form))]).toEqual([label, form, true]);
      expect([label, answers.flatMap((a) => leaksIn(a.text))]).toEqual([label, []]);
    }
  });

  it('live queue streams (server-sent events) carry no personal data while tickets with it arrive', async () => {
    const open = streams.filter((s) => answers.some((a) => a.url === s.url && a.caller === s.caller && a.status === 200));
    expect(open.some((s) => s.url.endsWith('/queues/triage/events') && s.caller === 'demo.dispatcher')).toBe(true);
    expect(open.some((s) => s.url.endsWith(`/queues/units/${ids['FX-SZSS']}/events`) && s.caller === 'demo.handler')).toBe(true);
    const live = await file('file live', 'demo.grid', { ...MANHOLE, title: '个人信息巡检 实时队列', reporter: REPORTER });
    await act('demo.dispatcher', live.id, 'register');
    await act('demo.dispatcher', live.id, 'dispatch', { unitId: ids['FX-SZSS'] });
    const text = (s: OpenStream) => Buffer.concat(s.chunks).toString('utf8');
    const triage = open.find((s) => s.url.endsWith('/queues/triage/events') && s.caller === 'demo.dispatcher')!;
    const inbox = open.find((s) => s.url.endsWith(`/queues/units/${ids['FX-SZSS']}/events`) && s.caller === 'demo.handler')!;
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && !(text(triage).includes(live.id) && text(inbox).includes(live.id))) await new Promise((r) => setTimeout(r, 100));
    for (const s of streams) s.abort();
    expect(text(triage)).toContain('event: ready');
    expect(text(triage)).toContain(live.id);
    expect(text(inbox)).toContain(live.id);
    const leaks = streams.flatMap((s) => leaksIn(text(s)).map((x) => `${s.caller} ${s.url}: ${x}`));
    expect(leaks).toEqual([]);
    // The live filing's own answers too.
    expect(seen.flatMap((s) => leaksIn(s.text).map((x) => `${s.label}: ${x}`))).toEqual([]);
  }, 60_000);

  it('the log (debug level, the whole run) holds no raw personal value', () => {
    expect(logLines.length).toBeGreaterThan(500);
    expect(logLines.some((l) => l.includes('"incoming request"'))).toBe(true);
    const leaks = logLines.flatMap((l) => leaksIn(l).map((s) => `${s} in ${l.slice(0, 400)}`));
    expect({ leaks: leaks.length, first: leaks.slice(0, 20) }).toEqual({ leaks: 0, first: [] });
  });

  it('the audit log, and every table at rest, hold no raw personal value; the reveal is audited with its reason', async () => {
    const audit = JSON.stringify(await t.ds.query(`SELECT * FROM audit_log ORDER BY id`));
    expect(leaksIn(audit)).toEqual([]);
    const reveals: Array<{ target: string; details: { reason: string } }> = await t.ds.query(`SELECT target, details FROM audit_log WHERE action = 'pii.reveal' ORDER BY id`);
    expect(reveals.map((r) => [r.target, r.details.reason])).toEqual([[tickets.dispute.id, REVEAL_REASON], [tickets.open311.id, REVEAL_REASON]]);
    const tables: Array<{ name: string }> = await t.ds.query(
      `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`);
    expect(tables.map((x) => x.name)).toEqual(expect.arrayContaining(['tickets', 'ticket_events', 'outbox', 'open311_requests', 'audit_log']));
    const leaks: string[] = [];
    // Free text is stored whole in the ticket's own columns and its event log (masked on output, searchable), nowhere else.
    const keepsTypedText = (name: string) => name === 'tickets' || name.startsWith('ticket_events');
    const atRest = SECRETS.filter((x) => !TYPED_SECRETS.includes(x));
    for (const { name } of tables) {
      const [row]: Array<{ text: string | null }> = await t.ds.query(`SELECT string_agg(row_to_json(x)::text, E'\\n') AS text FROM "${name}" x`);
      leaks.push(...leaksIn(row?.text ?? '', keepsTypedText(name) ? atRest : SECRETS).map((s) => `${name}: ${s}`));
    }
    expect(leaks).toEqual([]);
    // And they do keep it (the sweep above saw it masked, not missing).
    const [stored] = await t.ds.query(`SELECT description FROM tickets WHERE id = $1`, [tickets.closed.id]);
    expect(stored.description).toContain(TYPED.descriptionId);
  });
});
