// Whole lifecycles, applying effects with a tiny reducer the way the tickets module will.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { allowedActions, decide, initialTransition } from '../index';
import type { Action, Effect, Platform, WorkflowActor, WorkflowInput, WorkflowTicket } from '../index';
import { actors } from './workflow.fixtures';

interface Sim {
  ticket: WorkflowTicket;
  clocks: Record<string, 'running' | 'paused' | 'stopped'>;
  supervisions: number;
  log: string[];
}

function apply(sim: Sim, effects: Effect[]): void {
  const t = sim.ticket;
  for (const e of effects) {
    switch (e.kind) {
      case 'set-unit':
        t.unitId = e.unitId;
        break;
      case 'set-co-units':
        t.coUnitIds = e.unitIds;
        break;
      case 'set-handler':
        t.handlerId = e.handlerId;
        break;
      case 'set-resolver':
        t.resolvedBy = e.userId;
        break;
      case 'increment-bounce':
        t.bounceCount += 1;
        break;
      case 'first-contact':
        t.firstContactAt ??= '2026-11-27T02:00:00.000Z';
        break;
      case 'clear-first-contact':
        t.firstContactAt = null;
        break;
      case 'extension-request':
        t.extensionPending = { extraSeconds: e.extraSeconds };
        break;
      case 'extension-clear':
        t.extensionPending = null;
        break;
      case 'suspension-request':
        t.suspensionPending = true;
        break;
      case 'suspension-clear':
        t.suspensionPending = false;
        break;
      case 'supervise':
        sim.supervisions += 1;
        break;
      case 'clock-start':
      case 'clock-resume':
        sim.clocks[e.stage] = 'running';
        break;
      case 'clock-stop':
        if (sim.clocks[e.stage] !== undefined) sim.clocks[e.stage] = 'stopped';
        break;
      case 'clock-pause':
        sim.clocks[e.stage] = 'paused';
        break;
      case 'clock-stop-all':
        for (const k of Object.keys(sim.clocks)) sim.clocks[k] = 'stopped';
        break;
      default:
        break;
    }
  }
}

function file(filedBy: string): Sim {
  const start = initialTransition();
  const sim: Sim = {
    ticket: {
      id: 't1',
      status: start.to,
      unitId: null,
      coUnitIds: [],
      handlerId: null,
      filedBy,
      resolvedBy: null,
      bounceCount: 0,
    },
    clocks: {},
    supervisions: 0,
    log: [],
  };
  apply(sim, start.effects);
  return sim;
}

function act(sim: Sim, platform: Platform, action: Action, actor: WorkflowActor, input: WorkflowInput = {}): void {
  const before = structuredClone(sim.ticket);
  const d = decide({ platform, ticket: sim.ticket, actor, action, input });
  expect(sim.ticket).toEqual(before); // decide never mutates its input
  if (!d.ok) throw new Error(`${action} refused: ${d.code} ${d.message.en}`);
  if (d.to !== sim.ticket.status) sim.ticket.previousStatus = sim.ticket.status;
  sim.ticket.status = d.to;
  apply(sim, d.effects);
  sim.log.push(`${action}→${d.to}`);
}

describe('scenario: the manhole cover fixed in half a day (community_governance)', () => {
  it('files, routes automatically, signs, fixes, verifies on site and closes', () => {
    const P = 'community_governance';
    const sim = file(actors.filer.id);
    expect(sim.clocks).toEqual({ register: 'running' });
    act(sim, P, 'register', actors.system);
    act(sim, P, 'dispatch', actors.system, { unitId: 'unit-lead' });
    act(sim, P, 'sign', actors.handler);
    act(sim, P, 'resolve', actors.handler, { note: '已更换井盖' });
    act(sim, P, 'verify', actors.filer, { passed: true });
    expect(sim.ticket.status).toBe('closed');
    expect(sim.clocks).toEqual({ register: 'stopped', sign: 'stopped', resolve: 'stopped', verify: 'stopped' });
  });
});

describe('scenario: wrongly sent, returned, re-dispatched, reworked (community_governance)', () => {
  it('counts the bounce and reopens on a failed verification', () => {
    const P = 'community_governance';
    const sim = file(actors.filer.id);
    act(sim, P, 'register', actors.dispatcher);
    act(sim, P, 'dispatch', actors.dispatcher, { unitId: 'unit-other' });
    act(sim, P, 'return', actors.strangerHandler, { reason: 'wrong_function', note: '井盖归市政设施中心' });
    expect(allowedActions({ platform: P, ticket: sim.ticket, actor: actors.dispatcher })).toEqual([
      'review-return',
      'merge',
      'supervise',
      'add-note',
    ]);
    act(sim, P, 'review-return', actors.dispatcher, { approved: true, unitId: 'unit-lead' });
    act(sim, P, 'sign', actors.handler);
    act(sim, P, 'resolve', actors.handler);
    act(sim, P, 'verify', actors.gridWorker, { passed: false, reason: '井盖仍松动' });
    act(sim, P, 'resolve', actors.colleague);
    act(sim, P, 'verify', actors.gridWorker, { passed: true });
    expect(sim.ticket).toMatchObject({ status: 'closed', bounceCount: 1, unitId: 'unit-lead', resolvedBy: 'h2' });
  });
});

describe('scenario: a 12345 request re-handled after a dissatisfied callback (request_handling)', () => {
  it('needs a first contact twice and archives on the second callback', () => {
    const P = 'request_handling';
    const sim = file(actors.dispatcher.id);
    act(sim, P, 'register', actors.dispatcher);
    act(sim, P, 'dispatch', actors.dispatcher, { unitId: 'unit-lead' });
    act(sim, P, 'sign', actors.handler);
    expect(decide({ platform: P, ticket: sim.ticket, actor: actors.handler, action: 'resolve' })).toMatchObject({
      code: 'FIRST_CONTACT_REQUIRED',
    });
    act(sim, P, 'first-contact', actors.handler);
    act(sim, P, 'request-extension', actors.handler, { extraSeconds: 86400, reason: '需协调物业' });
    act(sim, P, 'decide-extension', actors.dispatcher2, { approved: true });
    act(sim, P, 'resolve', actors.handler);
    act(sim, P, 'callback', actors.dispatcher2, { contacted: true, resolved: false, satisfaction: 'dissatisfied' });
    expect(sim.ticket).toMatchObject({ status: 'in_progress', firstContactAt: null, resolvedBy: null });
    expect(sim.supervisions).toBe(1);
    act(sim, P, 'first-contact', actors.handler);
    act(sim, P, 'resolve', actors.handler);
    act(sim, P, 'callback', actors.dispatcher2, { contacted: true, resolved: true, satisfaction: 'basically_satisfied' });
    expect(sim.ticket.status).toBe('archived');
    expect(sim.clocks.callback).toBe('stopped');
  });
});

describe('scenario: a neighbour dispute mediated with a consented extension (dispute_resolution)', () => {
  it('suspends on request, resumes, records sessions and reaches agreement', () => {
    const P = 'dispute_resolution';
    const sim = file(actors.filer.id);
    act(sim, P, 'register', actors.dispatcher);
    act(sim, P, 'dispatch', actors.dispatcher, { unitId: 'unit-lead' });
    act(sim, P, 'sign', actors.handler);
    act(sim, P, 'record-mediation', actors.handler, { note: '首次调解，双方分歧较大' });
    sim.ticket.mediationSessionCount = 1;
    // Pausing the month needs both parties' consent, as an extension does; approving the request asks nothing more.
    expect(decide({ platform: P, ticket: sim.ticket, actor: actors.handler, action: 'suspend', input: { reason: '当事人住院' } })).toMatchObject({ ok: false, code: 'PARTIES_CONSENT_REQUIRED' });
    act(sim, P, 'suspend', actors.handler, { reason: '当事人住院', partiesConsent: true });
    act(sim, P, 'suspend', actors.dispatcher, { approved: true });
    expect(sim.clocks.mediation).toBe('paused');
    act(sim, P, 'resume', actors.handler);
    act(sim, P, 'request-extension', actors.handler, { extraSeconds: 15 * 86400, reason: '再次调解', partiesConsent: true });
    act(sim, P, 'decide-extension', actors.dispatcher, { approved: true });
    act(sim, P, 'resolve', actors.handler, { mediationOutcome: 'agreement' });
    act(sim, P, 'verify', actors.dispatcher, { passed: true });
    expect(sim.log).toEqual([
      'register→registered',
      'dispatch→dispatched',
      'sign→in_progress',
      'record-mediation→in_progress',
      'suspend→in_progress',
      'suspend→suspended',
      'resume→in_progress',
      'request-extension→in_progress',
      'decide-extension→in_progress',
      'resolve→resolved',
      'verify→closed',
    ]);
  });
});

describe('scenario: a small wish (微心愿) claimed by a volunteer (party_building)', () => {
  it('is claimed from the pool, given back, claimed again and closed', () => {
    const P = 'party_building';
    const sim = file(actors.filer.id);
    act(sim, P, 'register', actors.dispatcher);
    act(sim, P, 'claim', actors.volunteer);
    act(sim, P, 'return', actors.volunteer, { reason: 'other', note: '临时出差' });
    expect(sim.ticket).toMatchObject({ status: 'registered', unitId: null, handlerId: null, bounceCount: 1 });
    act(sim, P, 'claim', { ...actors.volunteer, id: 'v2' });
    act(sim, P, 'resolve', { ...actors.volunteer, id: 'v2' }, { volunteerHours: 3 });
    act(sim, P, 'verify', actors.gridWorker, { passed: true });
    expect(sim.ticket).toMatchObject({ status: 'closed', handlerId: 'v2', resolvedBy: 'v2' });
  });
});

describe('purity', () => {
  it('library sources import nothing but each other', () => {
    const root = join(__dirname, '..');
    const sources = ['index.ts', ...readdirSync(join(root, 'src')).map((f) => join('src', f))].filter(
      (f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'),
    );
    expect(sources.length).toBeGreaterThan(3);
    for (const f of sources) {
      const text = readFileSync(join(root, f), 'utf8');
      const specifiers = [...text.matchAll(/from\s+'([^']+)'/g)].map((m) => m[1]);
      for (const s of specifiers) expect(`${f}: ${s}`).toMatch(/: \.\.?\//);
    }
  });
});
