import type { TestApp } from './test-app';

/** Helpers for ticket e2e tests: ids by code, filing, and actions that must succeed. */
export async function codeIds(t: TestApp): Promise<Record<string, string>> {
  const nodes: Array<{ code: string; id: string }> = await t.ds.query(`SELECT code, id FROM grid_nodes`);
  const units: Array<{ code: string; id: string }> = await t.ds.query(`SELECT code, id FROM units`);
  return Object.fromEntries([...nodes, ...units].map((r) => [r.code, r.id]));
}

export async function fileTicket(t: TestApp, token: string, body: Record<string, unknown>, key?: string) {
  return t.request('POST', '/api/v1/tickets', { token, body, headers: key ? { 'idempotency-key': key } : {} });
}

export async function act(t: TestApp, token: string, id: string, action: string, body: Record<string, unknown> = {}) {
  const current = await t.request('GET', `/api/v1/tickets/${id}`, { token });
  if (current.status !== 200) throw new Error(`cannot load ticket ${id}: ${current.status} ${current.text}`);
  return t.request('POST', `/api/v1/tickets/${id}/actions/${action}`, { token, body: { expectedVersion: current.body.version, ...body } });
}

export async function mustAct(t: TestApp, token: string, id: string, action: string, body: Record<string, unknown> = {}) {
  const res = await act(t, token, id, action, body);
  if (res.status !== 200) throw new Error(`${action} failed: ${res.status} ${res.text}`);
  return res.body;
}

/** A tiny valid JPEG (SOI, APP0, EOI) standing in for a site photo. */
export const JPEG = Buffer.from('ffd8ffe000104a46494600010100000100010000ffd9', 'hex');

export const MANHOLE = {
  categoryCode: '0101', standardCode: 'missing', title: '电务小区1号楼前井盖缺失', description: '1号楼南侧人行道上水井盖丢失，有行人坠落危险',
  address: '阜新市海州区站前街道电务小区1号楼南侧', lat: 42.02698, lng: 121.65952, channel: 'patrol',
  reporter: { name: '张建国', phone: '13841812345' },
};

/** A staff account made through the admin API, logged in; its id is recorded in `users` under its username. */
export async function createStaff(
  t: TestApp, admin: string, ids: Record<string, string>, users: Record<string, string>,
  username: string, role: string, node: string, unit?: string,
): Promise<string> {
  const password = 'Staff@2026!x';
  const res = await t.request('POST', '/api/v1/admin/users', {
    token: admin, body: { username, displayName: username, role, scopeNodeId: ids[node], ...(unit ? { unitId: ids[unit] } : {}), password },
  });
  if (res.status !== 201) throw new Error(res.text);
  users[username] = res.body.id;
  return t.login(username, password);
}

/** Polls `probe` every 50 ms until it answers something truthy (returned), failing after `ms`. */
export async function waitFor<T>(probe: () => Promise<T | undefined | false>, ms = 10_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}
