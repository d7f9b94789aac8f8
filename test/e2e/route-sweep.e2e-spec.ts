import { randomUUID } from 'node:crypto';
import { createApiTestApp, type ApiTestApp } from '../support/api-test-app';
import { DEMO_PASSWORD } from '../../src/database/seeds/demo-city';
import { BAD_DATES, BAD_IDS, BAD_NUMBERS, BAD_STRINGS } from '../support/hostile';
import { MANHOLE, codeIds, fileTicket } from '../support/tickets';

/**
 * Every operation of the OpenAPI document (/docs-json), probed with hostile input derived from its own schema:
 * each body property in turn given the wrong JSON type, null, boundary numbers (int4 overflow, fractions, 1e308),
 * impossible dates, over-long, astral and LIKE-pattern strings; each query parameter given the same; each path
 * parameter given malformed ids. The rest of the request stays plausible (a valid body, real ids), so the probe
 * reaches the handler and the database, not only the validation pipe.
 *
 * The rule of docs/errors.md: bad input gets a 4xx application/problem+json with a stable `code`, never a 5xx.
 * A probe may legitimately succeed (an emoji title is a fine title); it may never crash.
 */

interface Schema {
  type?: string; format?: string; enum?: unknown[]; minimum?: number; maximum?: number; maxLength?: number; pattern?: string;
  items?: Schema; $ref?: string; properties?: Record<string, Schema>; required?: string[]; additionalProperties?: unknown;
}
interface Operation { parameters?: Array<{ in: string; name: string; schema?: Schema }>; requestBody?: { content?: Record<string, { schema?: Schema }> } }
interface Probe { method: string; url: string; body?: unknown; token: string; what: string; value?: unknown }

const ROLES = ['demo.admin', 'demo.dispatcher', 'demo.handler', 'demo.grid', 'demo.official', 'demo.auditor'];

/** Wrong and hostile values for one schema, without its valid ones. */
function hostile(s: Schema, resolve: (ref: string) => Schema, depth = 0): unknown[] {
  if (s.$ref) s = resolve(s.$ref);
  const wrong: unknown[] = [null];
  const type = s.enum ? 'enum' : s.type ?? (s.properties ? 'object' : undefined);
  switch (type) {
    case 'enum': wrong.push('not_in_the_enum', 7, [s.enum![0]], String(s.enum![0]).toUpperCase()); break;
    case 'string':
      wrong.push(7, true, [], {}, ...BAD_STRINGS);
      if (s.maxLength !== undefined) wrong.push('x'.repeat(s.maxLength + 1), '新'.repeat(s.maxLength + 1));
      if (s.format === 'uuid') wrong.push('00000000-0000-0000-0000-000000000000', randomUUID(), 'not-a-uuid');
      break;
    case 'number': case 'integer':
      wrong.push('1', true, [], {}, ...BAD_NUMBERS);
      if (s.minimum !== undefined) wrong.push(s.minimum - 1, s.minimum - 0.5);
      if (s.maximum !== undefined) wrong.push(s.maximum + 1, s.maximum + 0.5);
      break;
    case 'boolean': wrong.push('true', 0, 1, [], {}); break;
    case 'array':
      wrong.push('x', {}, [null], [{}], [7], ['x'], Array.from({ length: 1001 }, () => 'x'));
      if (s.items && depth < 1) for (const item of hostile(s.items, resolve, depth + 1).slice(0, 12)) wrong.push([item]);
      break;
    case 'object':
      wrong.push('x', [], 7, true);
      if (s.properties && depth < 1) {
        for (const [name, p] of Object.entries(s.properties)) for (const v of hostile(p, resolve, depth + 1).slice(0, 8)) wrong.push({ [name]: v });
      } else {
        wrong.push({ a: { b: { c: [1, 2, { d: null }] } } }, { '': 1 }, Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`k${i}`, i])));
      }
      break;
    default: wrong.push('x', 7, [], {});
  }
  return wrong;
}

describe('route sweep: hostile input on every documented operation 全接口非法输入扫描', () => {
  let t: ApiTestApp;
  let doc: { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, Schema> } };
  const tokens: Record<string, string> = {};
  const pathValues: Record<string, string> = {};
  const bodies: Record<string, Record<string, unknown>> = {};

  beforeAll(async () => {
    t = await createApiTestApp();
    for (const u of ROLES) tokens[u] = await t.login(u);
    const ids = await codeIds(t);
    // A user of its own for /auth/* (logout, password, TOTP), so the probes cannot end the demo users' sessions.
    const made = await t.request('POST', '/api/v1/admin/users', {
      token: tokens['demo.admin'], body: { username: 'sweep.user', displayName: 'sweep', role: 'official', scopeNodeId: ids['210902'], password: 'Sweep@2026!x' },
    });
    expect(made.status).toBe(201);
    tokens['sweep.user'] = await t.login('sweep.user', 'Sweep@2026!x');
    const filed = await fileTicket(t, tokens['demo.grid']!, MANHOLE);
    expect(filed.status).toBe(201);
    const calendars = await t.request('GET', '/api/v1/sla/calendars', { token: tokens['demo.admin'] });
    const policies = await t.request('GET', '/api/v1/sla/policies', { token: tokens['demo.admin'] });
    const gridUser = await t.ds.query(`SELECT id FROM users WHERE username = 'demo.grid'`);
    Object.assign(pathValues, {
      'grid-nodes': ids['210902001001'], units: ids['FX-SZSS'], users: gridUser[0].id, platforms: 'community_governance',
      categories: '0101', tickets: filed.body.id, actions: 'sign', attachments: randomUUID(), calendars: calendars.body[0].code,
      policies: policies.body[0].code, 'dead-letters': randomUUID(), rules: randomUUID(), 'open311-keys': randomUUID(),
      'role-policies': 'auditor',
    });
    // Valid bodies for operations with required fields, so one hostile property at a time reaches the handler.
    Object.assign(bodies, {
      LoginRequest: { username: 'sweep.user', password: 'wrong' },
      RefreshRequest: { refreshToken: 'x'.repeat(40) },
      TotpConfirmRequest: { code: '123456' },
      ChangePasswordRequest: { currentPassword: 'wrong', newPassword: 'Another@2026!x' },
      RolePolicyRequest: { totpRequired: false },
      OnDutyRequest: { onDuty: true },
      CreateGridNodeRequest: { parentId: ids['210902001'], code: '210902001009', name: '扫描社区', level: 'community' },
      CreateUnitRequest: { code: 'SWEEP-U', nameZh: '扫描单位', nameEn: 'Sweep unit', type: 'bureau', jurisdictionNodeId: ids['210902'] },
      CreateUserRequest: { username: 'sweep.two', displayName: 'sweep', role: 'handler', scopeNodeId: ids['210902'], unitId: ids['FX-SZSS'], password: 'Sweep@2026!y' },
      CreateCategoryRequest: { code: '0199', platform: 'community_governance', level: 'minor', parentCode: '01', nameZh: '扫描类', nameEn: 'Sweep' },
      FileTicketRequest: MANHOLE,
      TicketActionRequest: { expectedVersion: 1 },
      MaterialsRequest: { expectedVersion: 1, provided: [] },
      RevealRequest: { reason: '核实身份 checking identity' },
      CreateCalendarRequest: { code: 'sweep', parentCode: calendars.body[0].code, gridNodeId: ids['210902'], definition: {} },
      UpdateCalendarRequest: { expectedVersion: 1, definition: {} },
      ImportScheduleRequest: { expectedVersion: 1, text: '2027-01-01,holiday,元旦,New Year' },
      CreatePolicyRequest: { code: 'sweep', platform: 'community_governance', definition: {} },
      UpdatePolicyRequest: { expectedVersion: 1, definition: {} },
      RoutingRuleRequest: { name: '扫描规则', platform: 'community_governance', gridNodeId: ids['210902'], unitId: ids['FX-SZSS'], position: 1 },
      UpdateRoutingRuleRequest: { name: '扫描规则', platform: 'community_governance', gridNodeId: ids['210902'], unitId: ids['FX-SZSS'], position: 1, expectedVersion: 1 },
      DryRunRequest: { ticketId: filed.body.id },
      UnitDispatchSettingsRequest: { autoAssign: false },
      CreateScoreVersionRequest: { effectiveFrom: '2027-01-01', weights: {}, basicSatisfiedWeight: 0.9, redBelow: 60, commendFrom: 90 },
      CreateOpen311KeyRequest: { name: 'sweep', jurisdictionNodeId: ids['210902'] },
      RefoldRequest: { reason: '扫描 sweep' },
    });
    doc = (await t.request('GET', '/docs-json')).body;
  });
  afterAll(async () => { await t?.close(); });

  const resolve = (ref: string): Schema => doc.components.schemas[ref.replace('#/components/schemas/', '')] ?? {};

  /** The URL with each `{param}` filled by the value for the collection before it, or by `override`. */
  function fill(path: string, override?: { name: string; value: string }): string {
    return path.replace(/\{(\w+)\}/g, (_m, name: string) => {
      if (override?.name === name) return override.value;
      if (name === 'action') return pathValues.actions!;
      if (name === 'attachmentId') return pathValues.attachments!;
      if (name === 'unitId') return pathValues.units!;
      const before = path.slice(0, path.indexOf(`{${name}}`)).split('/').filter(Boolean).pop()!;
      const value = pathValues[before];
      if (!value) throw new Error(`no path value for ${path} {${name}}`);
      return value;
    });
  }

  /** The role that may call the operation: the first whose plausible request is not refused as unauthorised. */
  async function tokenFor(method: string, path: string, body: unknown): Promise<string> {
    if (path.startsWith('/api/v1/auth/')) return tokens['sweep.user']!;
    for (const u of ROLES) {
      const res = await t.request(method, fill(path), { token: tokens[u], body });
      if (res.status !== 401 && res.status !== 403) return tokens[u]!;
    }
    return tokens['demo.admin']!;
  }

  it('answers every probe with a 2xx or a 4xx problem+json, never a 5xx', async () => {
    const failures: string[] = [];
    const statuses: Record<string, number> = {};
    let probes = 0;
    const send = async (p: Probe) => {
      probes += 1;
      const res = await t.request(p.method, p.url, { token: p.token, body: p.body, headers: p.body === undefined ? {} : { 'content-type': 'application/json' } });
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      const problem = String(res.headers['content-type'] ?? '').includes('application/problem+json') && typeof res.body?.code === 'string';
      // 401 only where credentials are what is being checked (login, refresh, password change).
      if (res.status >= 500 || (res.status >= 400 && !problem) || (res.status === 401 && !p.url.startsWith('/api/v1/auth/'))) {
        failures.push(`${p.what} = ${JSON.stringify(p.value)?.slice(0, 100)}: ${p.method} ${p.url.slice(0, 120)} → ${res.status} ${res.text.slice(0, 160)}`);
      }
    };

    for (const [path, item] of Object.entries(doc.paths)) {
      if (path.endsWith('/events') && !path.includes('/tickets/')) continue; // server-sent event streams never end
      for (const [method, op] of Object.entries(item)) {
        const m = method.toUpperCase();
        const schema = op.requestBody?.content?.['application/json']?.schema;
        const bodySchema = schema ? resolve(schema.$ref ?? '') : undefined;
        const base = bodySchema ? { ...(bodies[schema!.$ref!.split('/').pop()!] ?? {}) } : undefined;
        const token = await tokenFor(m, path, base);
        // The plausible request must pass validation, or no probe of this operation would reach its handler.
        if (base !== undefined) {
          const plausible = await t.request(m, fill(path), { token, body: base });
          if (plausible.body?.code === 'VALIDATION_FAILED') failures.push(`base body of ${m} ${path} is invalid: ${JSON.stringify(plausible.body.errors)?.slice(0, 200)}`);
        }

        for (const prm of op.parameters ?? []) {
          if (prm.in === 'path') {
            for (const bad of BAD_IDS) await send({ method: m, url: fill(path, { name: prm.name, value: bad }), body: base, token, what: `path ${prm.name}` });
          } else if (prm.in === 'query') {
            const values = [...hostile(prm.schema ?? { type: 'string' }, resolve).filter((v) => typeof v === 'string' || typeof v === 'number'), ...BAD_DATES];
            for (const v of values) {
              await send({ method: m, url: `${fill(path)}?${prm.name}=${encodeURIComponent(String(v))}`, body: base, token, what: `query ${prm.name}` });
            }
            // The parameter twice (an array where one value is expected) and with a bracket suffix.
            await send({ method: m, url: `${fill(path)}?${prm.name}=1&${prm.name}=2`, body: base, token, what: `query ${prm.name} twice` });
            await send({ method: m, url: `${fill(path)}?${prm.name}[a]=1`, body: base, token, what: `query ${prm.name}[a]` });
          }
        }
        if (!bodySchema) continue;
        for (const whole of [[], 'x', 7, null, true, [base]]) await send({ method: m, url: fill(path), body: whole, token, what: 'body not an object' });
        for (const [name, prop] of Object.entries(bodySchema.properties ?? {})) {
          for (const v of hostile(prop, resolve)) await send({ method: m, url: fill(path), body: { ...base, [name]: v }, token, what: `body ${name}`, value: v });
        }
      }
    }

    expect(failures).toEqual([]);
    // Not vacuous: thousands of probes, most refused as bad input, none refused for want of a session.
    expect(probes).toBeGreaterThan(4000);
    expect((statuses[400] ?? 0) + (statuses[404] ?? 0)).toBeGreaterThan(probes / 2);
    expect(statuses[401] ?? 0).toBeLessThan(200);
  }, 600_000);
});
