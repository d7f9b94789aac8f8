import type { DataSource } from 'typeorm';
import type { RollupService } from '../../src/modules/reports/rollup.service';

/**
 * Random workflow histories for the report tests, written straight into tickets / ticket_events /
 * ticket_clocks, with an independent oracle: the generator knows each ticket's true spans and outcomes.
 */
export interface PlannedEvent { action: string; to: string; atMs: number; data?: Record<string, unknown> }

export interface PlannedTicket {
  id: string;
  platform: string;
  categoryId: string;
  categoryCode: string;
  gridNodeId: string;
  gridPath: string;
  channel: string;
  unitId: string | null;
  events: PlannedEvent[];
  deadlineMs: number | null;
  dispatchMs: number | null;
  callback: { contacted: boolean; resolved: boolean | null; satisfaction: string | null } | null;
  // Oracle
  truth: {
    merged: boolean; valid: boolean; status: string; dispatchAt: number | null; signAt: number | null; firstResolveAt: number | null;
    lastResolveAt: number | null; closedAt: number | null; returns: number; reworked: boolean; extended: boolean;
    /** Suspensions (挂起) as [from, to] instants: business time leaves them out. */
    pauses: Array<[number, number]>;
    /** Every unit it was dispatched to, and those that sent it back. */
    unitsDispatched: string[]; unitsReturned: string[];
  };
}

export interface Fixture {
  categories: Array<{ id: string; code: string; platform: string }>;
  nodes: Array<{ id: string; path: string }>;
  units: string[];
}

export async function loadFixture(ds: DataSource): Promise<Fixture> {
  const categories = await ds.query(
    `SELECT DISTINCT ON (platform) id, code, platform FROM categories WHERE platform IN ('community_governance', 'request_handling') ORDER BY platform, code`);
  const nodes = await ds.query(
    `SELECT id, path::text AS path FROM grid_nodes WHERE code IN ('210902001001001001', '210902001001002', '210902001002', '210911001001', '210902') ORDER BY code`);
  const units = (await ds.query(`SELECT id FROM units WHERE code IN ('FX-SZSS', 'FX-WATER') ORDER BY code`)).map((u: { id: string }) => u.id);
  return { categories, nodes, units };
}

/** A small deterministic PRNG so a plan is reproducible from its seed. */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 0x100000000;
  };
}

const CHANNELS = ['patrol', 'hotline', 'app', 'web'];

export function planTicket(r: () => number, fx: Fixture, baseMs: number, id: string): PlannedTicket {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const cat = pick(fx.categories);
  const node = pick(fx.nodes);
  const min = 60_000;
  let t = baseMs + Math.floor(r() * 20 * 24 * 3600_000);
  const events: PlannedEvent[] = [{ action: 'file', to: 'reported', atMs: t }];
  const truth: PlannedTicket['truth'] = {
    merged: false, valid: true, status: 'reported', dispatchAt: null, signAt: null, firstResolveAt: null, lastResolveAt: null, closedAt: null,
    returns: 0, reworked: false, extended: false, unitsDispatched: [], unitsReturned: [], pauses: [],
  };
  const handedTo = (u: string): void => { if (!truth.unitsDispatched.includes(u)) truth.unitsDispatched.push(u); };
  let unitId: string | null = null;
  let deadlineMs: number | null = null;
  let dispatchMs: number | null = null;
  let callback: PlannedTicket['callback'] = null;
  const step = (action: string, to: string, data?: Record<string, unknown>, maxMinutes = 3000): void => {
    t += 1 + Math.floor(r() * maxMinutes * min);
    events.push({ action, to, atMs: t, data });
    truth.status = to;
  };
  const end = (): PlannedTicket => ({
    id, platform: cat.platform, categoryId: cat.id, categoryCode: cat.code, gridNodeId: node.id, gridPath: node.path, channel: pick(CHANNELS),
    unitId, events, deadlineMs, dispatchMs, callback, truth,
  });
  const maybeMerge = (): boolean => {
    if (r() < 0.06) { step('merge', 'merged', {}); truth.merged = true; return true; }
    return false;
  };
  const x = r();
  if (x < 0.08) { step('void', 'voided'); truth.valid = false; return end(); }
  if (x < 0.12) { step('cancel', 'cancelled'); truth.valid = false; return end(); }
  if (r() < 0.1) return end(); // still waiting for triage
  step('register', 'registered', {}, 600);
  if (maybeMerge() || r() < 0.05) return end();
  unitId = pick(fx.units);
  step('dispatch', 'dispatched', { unitId }, 600);
  handedTo(unitId);
  truth.dispatchAt = t;
  dispatchMs = t;
  deadlineMs = t + (1 + Math.floor(r() * 10)) * 24 * 3600_000;
  while (r() < 0.25) {
    step('return', 'returned', { reason: 'wrong_function' });
    truth.returns += 1;
    if (!truth.unitsReturned.includes(unitId)) truth.unitsReturned.push(unitId);
    unitId = pick(fx.units);
    step('review-return', 'dispatched', { approved: true, unitId });
    handedTo(unitId);
  }
  if (maybeMerge() || r() < 0.05) return end();
  step('sign', 'in_progress');
  truth.signAt = t;
  // 挂起 and 恢复, sometimes twice, sometimes across a weekend or a holiday (steps are up to two days apart).
  while (r() < 0.2) {
    step('suspend', 'suspended', { approved: true });
    const from = t;
    step('resume', 'in_progress');
    truth.pauses.push([from, t]);
  }
  if (r() < 0.2) { step('request-extension', 'in_progress', { extraSeconds: 86400 }); step('decide-extension', 'in_progress', { approved: true, extensionGranted: 86400 }); truth.extended = true; deadlineMs += 86_400_000; }
  if (maybeMerge() || r() < 0.05) return end();
  for (;;) {
    step('resolve', 'resolved', {}, 6000);
    truth.firstResolveAt ??= t;
    truth.lastResolveAt = t;
    if (r() < 0.07) return end(); // awaiting verification / callback
    if (cat.platform === 'request_handling') {
      const contacted = r() < 0.85;
      const satisfaction = contacted ? pick(['satisfied', 'satisfied', 'basically_satisfied', 'dissatisfied']) : null;
      callback = { contacted, resolved: contacted ? r() < 0.8 : null, satisfaction };
      if (satisfaction === 'dissatisfied' && r() < 0.7) {
        step('callback', 'in_progress', { satisfaction, reopen: 'callback_dissatisfied' });
        truth.reworked = true;
        continue;
      }
      step('callback', 'archived', satisfaction ? { satisfaction } : {});
      truth.closedAt = t;
      return end();
    }
    if (r() < 0.15) { step('verify', 'in_progress', { passed: false, reopen: 'verify_fail' }); truth.reworked = true; continue; }
    step('verify', 'closed', { passed: true });
    truth.closedAt = t;
    return end();
  }
}

/** Writes tickets (final state) and the events up to `untilMs` (all when omitted); returns how many events. */
export async function writeTickets(ds: DataSource, plans: PlannedTicket[], seq: number): Promise<void> {
  for (const [i, p] of plans.entries()) {
    const final = p.events[p.events.length - 1]!;
    await ds.query(
      `INSERT INTO tickets (id, number, platform, category_id, category_code, priority, title, description, grid_node_id, grid_path, channel, status, unit_id, callback, created_at)
       VALUES ($1, $2, $3, $4, $5, 'normal', '报表测试', '报表测试工单', $6, $7::ltree, $8, $9, $10, $11, $12)`,
      [p.id, `RPT-${seq}-${i}`, p.platform, p.categoryId, p.categoryCode, p.gridNodeId, p.gridPath, p.channel, 'reported', p.unitId,
        p.callback ? JSON.stringify(p.callback) : null, new Date(p.events[0]!.atMs)]);
    if (p.dispatchMs !== null) {
      await ds.query(
        `INSERT INTO ticket_clocks (ticket_id, stage, state, clock_type, limit_seconds, started_at, deadline) VALUES ($1, 'resolve', 'stopped', 'natural', 86400, $2, $3)`,
        [p.id, new Date(p.dispatchMs), p.deadlineMs === null ? null : new Date(p.deadlineMs)]);
    }
  }
  for (const [i, p] of plans.entries()) {
    const final = p.events[p.events.length - 1]!.to;
    if (final === 'reported') continue;
    const parent = final === 'merged' ? plans[i === 0 ? 1 : 0]!.id : null;
    await ds.query(`UPDATE tickets SET status = $2, parent_id = $3 WHERE id = $1`, [p.id, final, parent]);
  }
}

/** Appends the events of each ticket with `atMs` in [fromMs, toMs). */
export async function writeEvents(ds: DataSource, plans: PlannedTicket[], fromMs: number, toMs: number): Promise<number> {
  const rows: Array<[string, number, PlannedEvent]> = [];
  for (const p of plans) p.events.forEach((e, i) => { if (e.atMs >= fromMs && e.atMs < toMs) rows.push([p.id, i + 1, e]); });
  if (rows.length === 0) return 0;
  await ds.query(
    `INSERT INTO ticket_events (ticket_id, filed_at, seq, action, actor_role, from_status, to_status, data, at)
     SELECT e.ticket_id, t.created_at, e.seq, e.action, e.actor_role, e.from_status, e.to_status, e.data, e.at
       FROM unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[], $8::timestamptz[])
            AS e(ticket_id, seq, action, actor_role, from_status, to_status, data, at)
       JOIN tickets t ON t.id = e.ticket_id`,
    [rows.map((r) => r[0]), rows.map((r) => r[1]), rows.map((r) => r[2].action), rows.map(() => 'system'), rows.map(() => null),
      rows.map((r) => r[2].to), rows.map((r) => JSON.stringify(r[2].data ?? {})), rows.map((r) => new Date(r[2].atMs))]);
  return rows.length;
}

/**
 * Folds every event written so far in batches of `batchEvents`, each waiting for the cursor lock, until the cursor is
 * past every event before now. `catchUp` gives up at once when the app's scheduled fold holds the lock (its first batch
 * does not wait), which left a test reading half-folded rollups whenever the scheduler ran at that moment.
 */
export async function foldAll(ds: DataSource, rollups: RollupService, batchEvents = 5000): Promise<void> {
  for (let i = 0; i < 100; i++) {
    for (let r = await rollups.foldOnce(batchEvents, true); r.more; r = await rollups.foldOnce(batchEvents, true)) { /* next batch */ }
    const [{ n }] = await ds.query(
      `SELECT count(*)::int AS n FROM ticket_events e, report_cursor c WHERE c.id = 1 AND (e.at, e.id) > (c.last_at, c.last_id) AND e.at < now()`);
    if (n === 0) return;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error('the fold did not catch up');
}
