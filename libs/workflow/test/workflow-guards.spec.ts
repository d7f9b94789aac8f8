// One describe per guard: each proves the refusal and the acceptance on either side of it.
import {
  RETURN_REASONS,
  WORKFLOW_ERROR_CODES,
  allowedActions,
  decide,
  httpStatusFor,
  isOpen,
  STATES,
} from '../index';
import type { Decision, Effect, State, WorkflowErrorCode } from '../index';
import { LEAD_UNIT, PARTY_UNIT, actors, ctx, ticket } from './workflow.fixtures';

function refusedWith(decision: Decision, code: WorkflowErrorCode): void {
  expect(decision).toMatchObject({ ok: false, code });
  if (!decision.ok) {
    expect(decision.message.zh.length).toBeGreaterThan(0);
    expect(decision.message.en.length).toBeGreaterThan(0);
  }
}

function effectsOf(decision: Decision): Effect[] {
  if (!decision.ok) throw new Error(`expected acceptance, got ${decision.code}: ${decision.message.en}`);
  return decision.effects;
}

const CG = 'community_governance';

describe('unknown values', () => {
  it('refuses an unknown action name with UNKNOWN_ACTION', () => {
    const c = { ...ctx(CG, 'register', actors.dispatcher, ticket('reported')), action: 'approve' as never };
    refusedWith(decide(c), 'UNKNOWN_ACTION');
  });
  it('refuses an unknown platform or status with INVALID_INPUT', () => {
    refusedWith(decide(ctx('nope' as never, 'register', actors.dispatcher, ticket('reported'))), 'INVALID_INPUT');
    refusedWith(decide(ctx(CG, 'register', actors.dispatcher, ticket('open' as never))), 'INVALID_INPUT');
  });
  it('refuses an unknown role with FORBIDDEN_ROLE', () => {
    refusedWith(decide(ctx(CG, 'register', { id: 'x', role: 'root' as never }, ticket('reported'))), 'FORBIDDEN_ROLE');
  });
});

describe('roles', () => {
  it('auditor and admin may do nothing on a ticket (三员分立)', () => {
    for (const state of STATES) {
      expect(allowedActions({ platform: CG, ticket: ticket(state), actor: actors.auditor })).toEqual([]);
      expect(allowedActions({ platform: CG, ticket: ticket(state), actor: actors.admin })).toEqual([]);
    }
  });
  it('an official may only supervise', () => {
    expect(allowedActions({ platform: CG, ticket: ticket('in_progress'), actor: actors.official })).toEqual(['supervise']);
  });
  it('a grid worker may not register', () => {
    refusedWith(decide(ctx(CG, 'register', actors.filer, ticket('reported'))), 'FORBIDDEN_ROLE');
  });
  it('the system may register and dispatch (routing rules)', () => {
    expect(decide(ctx(CG, 'register', actors.system, ticket('reported')))).toMatchObject({ ok: true, to: 'registered' });
    expect(decide(ctx(CG, 'dispatch', actors.system, ticket('registered'), { unitId: 'u9' }))).toMatchObject({
      ok: true,
      to: 'dispatched',
    });
  });
});

describe('guard: return needs a reason code and text', () => {
  const returning = (input: object, bounceCount = 0) =>
    decide(ctx(CG, 'return', actors.handler, ticket('dispatched', { bounceCount }), input));

  it.each(RETURN_REASONS)('accepts %s with an explanation', (reason) => {
    expect(returning({ reason, note: '不属于本单位职责' })).toMatchObject({ ok: true, to: 'returned' });
  });
  it.each(RETURN_REASONS)('refuses %s without text, with blank text or with a single character', (reason) => {
    refusedWith(returning({ reason }), 'REASON_REQUIRED');
    refusedWith(returning({ reason, note: '   ' }), 'REASON_REQUIRED');
    refusedWith(returning({ reason, note: ' 无 ' }), 'REASON_REQUIRED');
    refusedWith(returning({ reason, note: '\u200b\u200b\u200b' }), 'REASON_REQUIRED');
    refusedWith(returning({ reason, note: '\u200b无\u200b' }), 'REASON_REQUIRED');
    refusedWith(returning({ reason, note: '......' }), 'REASON_REQUIRED');
    expect(returning({ reason, note: ' 无关 ' })).toMatchObject({ ok: true, to: 'returned' });
  });
  it('refuses a missing reason with REASON_REQUIRED, even with text', () => {
    refusedWith(returning({}), 'REASON_REQUIRED');
    refusedWith(returning({ reason: '', note: '不属于本单位职责' }), 'REASON_REQUIRED');
  });
  it('refuses a reason outside the list with INVALID_INPUT', () => {
    refusedWith(returning({ reason: '不想干', note: '不属于本单位职责' }), 'INVALID_INPUT');
  });
  it('refuses text that is not a string with INVALID_INPUT', () => {
    refusedWith(returning({ reason: 'wrong_function', note: 42 }), 'INVALID_INPUT');
  });
  it('party_building: giving a task back to the pool needs the same', () => {
    const pb = (input: object) => decide(ctx('party_building', 'return', actors.volunteer, ticket('in_progress', { unitId: PARTY_UNIT, handlerId: 'v1' }), input));
    refusedWith(pb({ reason: 'other' }), 'REASON_REQUIRED');
    expect(pb({ reason: 'other', note: '临时有事' })).toMatchObject({ ok: true, to: 'registered' });
  });
  it('counts a bounce, and flags the ticket ownerless at the third return', () => {
    expect(effectsOf(returning({ reason: 'wrong_territory', note: '不在辖区' }, 0))).toEqual([{ kind: 'increment-bounce' }]);
    expect(effectsOf(returning({ reason: 'wrong_territory', note: '不在辖区' }, 2))).toEqual([
      { kind: 'increment-bounce' },
      { kind: 'flag-ownerless', bounceCount: 3 },
    ]);
    const custom = decide({
      ...ctx(CG, 'return', actors.handler, ticket('dispatched'), { reason: 'wrong_function', note: '职能不符' }),
      settings: { ownerlessAfterBounces: 1 },
    });
    expect(effectsOf(custom)).toContainEqual({ kind: 'flag-ownerless', bounceCount: 1 });
  });
  it('refuses an overlong note with INVALID_INPUT', () => {
    refusedWith(returning({ reason: 'other', note: 'x'.repeat(2001) }), 'INVALID_INPUT');
  });
});

describe('guard: void needs a reason', () => {
  it('refuses without one', () => {
    refusedWith(decide(ctx(CG, 'void', actors.dispatcher, ticket('reported'))), 'REASON_REQUIRED');
    refusedWith(decide(ctx(CG, 'void', actors.dispatcher, ticket('reported'), { reason: ' ' })), 'REASON_REQUIRED');
  });
  it('accepts a reason or a note', () => {
    expect(decide(ctx(CG, 'void', actors.dispatcher, ticket('reported'), { reason: '重复' }))).toMatchObject({
      ok: true,
      to: 'voided',
      effects: [{ kind: 'clock-stop', stage: 'register' }],
    });
    expect(decide(ctx(CG, 'void', actors.dispatcher, ticket('reported'), { note: '非本市' }))).toMatchObject({ ok: true });
  });
  it('refuses a non-string reason with INVALID_INPUT', () => {
    refusedWith(decide(ctx(CG, 'void', actors.dispatcher, ticket('reported'), { reason: 42 as never })), 'INVALID_INPUT');
  });
  it('a reason must say something: zero-width characters, dots or punctuation alone are no reason', () => {
    for (const reason of ['\u200b\u200b', '  \u200b\u200b ', '....', '\ufeff。！', '\u2060 - ']) {
      refusedWith(decide(ctx(CG, 'void', actors.dispatcher, ticket('reported'), { reason })), 'REASON_REQUIRED');
      refusedWith(decide(ctx(CG, 'void', actors.dispatcher, ticket('reported'), { note: reason })), 'REASON_REQUIRED');
    }
    expect(decide(ctx(CG, 'void', actors.dispatcher, ticket('reported'), { reason: '\u200b重\u200b' }))).toMatchObject({ ok: true, to: 'voided' });
    expect(decide(ctx(CG, 'void', actors.dispatcher, ticket('reported'), { reason: 'x1' }))).toMatchObject({ ok: true, to: 'voided' });
  });
});

describe('guard: review-return', () => {
  const returned = (previousStatus: State) => ticket('returned', { previousStatus });
  it('needs approved', () => {
    refusedWith(decide(ctx(CG, 'review-return', actors.dispatcher, returned('dispatched'))), 'INVALID_INPUT');
  });
  it('rejecting sends the ticket back to where it was returned from', () => {
    expect(decide(ctx(CG, 'review-return', actors.dispatcher, returned('in_progress'), { approved: false }))).toEqual({
      ok: true,
      to: 'in_progress',
      effects: [],
    });
    expect(decide(ctx(CG, 'review-return', actors.dispatcher, returned('dispatched'), { approved: false }))).toMatchObject({
      to: 'dispatched',
    });
  });
  it('approving with a unit re-dispatches to it', () => {
    const d = decide(ctx(CG, 'review-return', actors.dispatcher, returned('in_progress'), { approved: true, unitId: 'u2' }));
    expect(d).toMatchObject({ ok: true, to: 'dispatched' });
    expect(effectsOf(d)).toEqual([
      { kind: 'clock-stop', stage: 'resolve' },
      { kind: 'set-unit', unitId: 'u2' },
      { kind: 'set-co-units', unitIds: [] },
      { kind: 'set-handler', handlerId: null },
      { kind: 'clock-start', stage: 'sign' },
      { kind: 'clock-start', stage: 'resolve' },
      { kind: 'clear-first-contact' }, // the new unit contacts the resident again (先行联系)
    ]);
  });
  it('approving to the same unit is refused with SAME_UNIT', () => {
    refusedWith(
      decide(ctx(CG, 'review-return', actors.dispatcher, returned('dispatched'), { approved: true, unitId: LEAD_UNIT })),
      'SAME_UNIT',
    );
  });
  it('approving without a unit sends it back to triage (registered) with no unit', () => {
    const d = decide(ctx(CG, 'review-return', actors.dispatcher, returned('dispatched'), { approved: true }));
    expect(d).toMatchObject({ ok: true, to: 'registered' });
    expect(effectsOf(d)).toContainEqual({ kind: 'set-unit', unitId: null });
    expect(effectsOf(d)).toContainEqual({ kind: 'clock-stop', stage: 'sign' });
    expect(effectsOf(d)).toContainEqual({ kind: 'clock-stop', stage: 'resolve' });
  });
});

describe('guard: dispatch and reassign', () => {
  it('dispatch needs a unit', () => {
    refusedWith(decide(ctx(CG, 'dispatch', actors.dispatcher, ticket('registered'))), 'INVALID_INPUT');
  });
  it('dispatch sets lead unit, co-units and an optional pre-assigned handler, and starts the sign and resolve clocks', () => {
    const d = decide(
      ctx(CG, 'dispatch', actors.dispatcher, ticket('registered'), { unitId: 'u1', coUnitIds: ['u2', 'u3'], handlerId: 'h9' }),
    );
    expect(effectsOf(d)).toEqual([
      { kind: 'set-unit', unitId: 'u1' },
      { kind: 'set-co-units', unitIds: ['u2', 'u3'] },
      { kind: 'set-handler', handlerId: 'h9' },
      { kind: 'clock-start', stage: 'sign' },
      { kind: 'clock-start', stage: 'resolve' },
      { kind: 'clear-first-contact' }, // the new unit contacts the resident again (先行联系)
    ]);
    // A mediation clock waits for acceptance (受理 = sign).
    expect(effectsOf(decide(ctx('dispute_resolution', 'dispatch', actors.dispatcher, ticket('registered'), { unitId: 'u1' })))).not.toContainEqual(
      expect.objectContaining({ stage: 'mediation' }));
  });
  it('co-units must be distinct and exclude the lead', () => {
    const t = ticket('registered');
    refusedWith(decide(ctx(CG, 'dispatch', actors.dispatcher, t, { unitId: 'u1', coUnitIds: ['u1'] })), 'INVALID_INPUT');
    refusedWith(decide(ctx(CG, 'dispatch', actors.dispatcher, t, { unitId: 'u1', coUnitIds: ['u2', 'u2'] })), 'INVALID_INPUT');
    refusedWith(decide(ctx(CG, 'dispatch', actors.dispatcher, t, { unitId: 'u1', coUnitIds: 'u2' as never })), 'INVALID_INPUT');
  });
  it('reassign must change the unit and restarts the sign and resolve clocks', () => {
    refusedWith(decide(ctx(CG, 'reassign', actors.dispatcher, ticket('in_progress'), { unitId: LEAD_UNIT })), 'SAME_UNIT');
    const d = decide(
      ctx(CG, 'reassign', actors.dispatcher, ticket('in_progress', { extensionPending: { extraSeconds: 60 } }), { unitId: 'u2' }),
    );
    expect(effectsOf(d)).toEqual([
      { kind: 'extension-clear' },
      { kind: 'clock-stop', stage: 'resolve' },
      { kind: 'set-unit', unitId: 'u2' },
      { kind: 'set-co-units', unitIds: [] },
      { kind: 'set-handler', handlerId: null },
      { kind: 'clock-start', stage: 'sign' },
      { kind: 'clock-start', stage: 'resolve' },
      { kind: 'clear-first-contact' }, // the new unit contacts the resident again (先行联系)
    ]);
  });
  it('reassign works at any time before resolution: also from suspended, stopping the paused handling clock', () => {
    const suspended = ticket('suspended', { suspensionPending: false, extensionPending: { extraSeconds: 60 } });
    expect(decide(ctx(CG, 'reassign', actors.dispatcher, suspended, { unitId: 'u2' }))).toEqual({
      ok: true,
      to: 'dispatched',
      effects: [
        { kind: 'extension-clear' },
        { kind: 'clock-stop', stage: 'resolve' },
        { kind: 'set-unit', unitId: 'u2' },
        { kind: 'set-co-units', unitIds: [] },
        { kind: 'set-handler', handlerId: null },
        { kind: 'clock-start', stage: 'sign' },
        { kind: 'clock-start', stage: 'resolve' },
        { kind: 'clear-first-contact' }, // the new unit contacts the resident again (先行联系)
      ],
    });
    const dispute = decide(ctx('dispute_resolution', 'reassign', actors.dispatcher, ticket('suspended'), { unitId: 'u2' }));
    expect(effectsOf(dispute)).toContainEqual({ kind: 'clock-stop', stage: 'mediation' });
    expect(allowedActions({ platform: CG, ticket: ticket('suspended'), actor: actors.dispatcher })).toContain('reassign');
    refusedWith(decide(ctx(CG, 'reassign', actors.dispatcher, ticket('suspended'), { unitId: LEAD_UNIT })), 'SAME_UNIT');
    // After resolution it is too late: verification sends it back (返工) instead.
    refusedWith(decide(ctx(CG, 'reassign', actors.dispatcher, ticket('resolved'), { unitId: 'u2' })), 'ILLEGAL_TRANSITION');
  });
});

describe('guard: handler actions only by the lead unit', () => {
  it('a handler of another unit may not sign', () => {
    refusedWith(decide(ctx(CG, 'sign', actors.strangerHandler, ticket('dispatched'))), 'NOT_HANDLING_UNIT');
  });
  it('a co-unit handler may not resolve, but may add notes', () => {
    const d = decide(ctx(CG, 'resolve', actors.coHandler, ticket('in_progress')));
    refusedWith(d, 'NOT_HANDLING_UNIT');
    expect(!d.ok && d.message.en).toMatch(/co-handling/);
    expect(decide(ctx(CG, 'add-note', actors.coHandler, ticket('in_progress'), { note: '已协助' }))).toMatchObject({
      ok: true,
      to: 'in_progress',
      effects: [],
    });
    expect(allowedActions({ platform: CG, ticket: ticket('in_progress'), actor: actors.coHandler })).toEqual(['add-note']);
  });
  it('a stranger handler may not add notes; an empty note is refused', () => {
    refusedWith(decide(ctx(CG, 'add-note', actors.strangerHandler, ticket('in_progress'), { note: 'x' })), 'NOT_HANDLING_UNIT');
    refusedWith(decide(ctx(CG, 'add-note', actors.coHandler, ticket('in_progress'))), 'INVALID_INPUT');
  });
  it('a note of blanks, zero-width characters or punctuation only is no note', () => {
    for (const note of ['   ', '\u200b\u200b\u200b', ' \u200c\u200d ', '...', '，。']) {
      refusedWith(decide(ctx(CG, 'add-note', actors.coHandler, ticket('in_progress'), { note })), 'INVALID_INPUT');
    }
    expect(decide(ctx(CG, 'add-note', actors.coHandler, ticket('in_progress'), { note: '\u200b已协助\u200b' }))).toMatchObject({ ok: true });
  });
  it('any handler of the lead unit may act, not only the signer', () => {
    expect(decide(ctx(CG, 'resolve', actors.colleague, ticket('in_progress')))).toMatchObject({ ok: true });
  });
  it('a handler without a unit is refused', () => {
    refusedWith(decide(ctx(CG, 'sign', { id: 'h0', role: 'handler' }, ticket('dispatched'))), 'NOT_HANDLING_UNIT');
  });
  it('sign records the signer and moves the clocks: sign stops, the resolve clock running since dispatch is kept', () => {
    expect(effectsOf(decide(ctx(CG, 'sign', actors.colleague, ticket('dispatched'))))).toEqual([
      { kind: 'set-handler', handlerId: 'h2' },
      { kind: 'clock-stop', stage: 'sign' },
      { kind: 'clock-start', stage: 'resolve', ifNone: true },
    ]);
  });
});

describe('guard: verifier differs from resolver', () => {
  it('refuses the resolver with SAME_PERSON_VERIFY', () => {
    const t = ticket('resolved', { resolvedBy: actors.dispatcher.id });
    refusedWith(decide(ctx('convenience_services', 'verify', actors.dispatcher, t, { passed: true })), 'SAME_PERSON_VERIFY');
    expect(allowedActions({ platform: 'convenience_services', ticket: t, actor: actors.dispatcher })).not.toContain('verify');
  });
  it('a self-resolved ticket is verified by another grid worker, never by the filer', () => {
    const resolved = decide(ctx(CG, 'self-resolve', actors.filer, ticket('reported', { unitId: null, coUnitIds: [], handlerId: null })));
    expect(resolved).toMatchObject({ ok: true, to: 'resolved' });
    expect(effectsOf(resolved)).toEqual([
      { kind: 'set-resolver', userId: 'g1' },
      { kind: 'clock-stop', stage: 'register' },
      { kind: 'clock-start', stage: 'verify' },
    ]);
    const t = ticket('resolved', { unitId: null, coUnitIds: [], handlerId: null, resolvedBy: 'g1' });
    refusedWith(decide(ctx(CG, 'verify', actors.filer, t, { passed: true })), 'SAME_PERSON_VERIFY');
    expect(decide(ctx(CG, 'verify', actors.gridWorker, t, { passed: true }))).toMatchObject({ ok: true, to: 'closed' });
  });
  it('the callback agent may not be the resolver either', () => {
    const t = ticket('resolved', { resolvedBy: actors.dispatcher.id });
    const input = { contacted: true, resolved: true, satisfaction: 'satisfied' } as const;
    refusedWith(decide(ctx('request_handling', 'callback', actors.dispatcher, t, input)), 'SAME_PERSON_VERIFY');
  });
});

describe('guard: verify', () => {
  const t = ticket('resolved');
  it('community_governance is verified on site by a grid worker only', () => {
    refusedWith(decide(ctx(CG, 'verify', actors.dispatcher, t, { passed: true })), 'FORBIDDEN_ROLE');
  });
  it('dispute_resolution is verified by a dispatcher only (privacy of parties)', () => {
    refusedWith(decide(ctx('dispute_resolution', 'verify', actors.gridWorker, t, { passed: true })), 'FORBIDDEN_ROLE');
    expect(decide(ctx('dispute_resolution', 'verify', actors.dispatcher, t, { passed: true }))).toMatchObject({ ok: true });
  });
  it('needs passed', () => {
    refusedWith(decide(ctx(CG, 'verify', actors.gridWorker, t)), 'INVALID_INPUT');
    refusedWith(decide(ctx(CG, 'verify', actors.gridWorker, t, { passed: 'yes' as never })), 'INVALID_INPUT');
  });
  it('verify_pass closes and stops the verify clock', () => {
    expect(decide(ctx(CG, 'verify', actors.gridWorker, t, { passed: true }))).toEqual({
      ok: true,
      to: 'closed',
      effects: [{ kind: 'clock-stop', stage: 'verify' }],
    });
  });
  it('verify_fail needs a reason and sends the ticket back for rework (返工)', () => {
    refusedWith(decide(ctx(CG, 'verify', actors.gridWorker, t, { passed: false })), 'REASON_REQUIRED');
    expect(decide(ctx(CG, 'verify', actors.gridWorker, t, { passed: false, reason: '井盖仍松动' }))).toEqual({
      ok: true,
      to: 'in_progress',
      effects: [
        { kind: 'clock-stop', stage: 'verify' },
        { kind: 'reopen', cause: 'verify_fail' },
        { kind: 'set-resolver', userId: null },
        { kind: 'clock-start', stage: 'resolve' },
      ],
    });
  });
  it('verify_fail of a self-resolved ticket (no unit) goes to triage for dispatch', () => {
    const self = ticket('resolved', { unitId: null, coUnitIds: [], handlerId: null, resolvedBy: 'g1' });
    expect(decide(ctx(CG, 'verify', actors.gridWorker, self, { passed: false, note: '未修好' }))).toMatchObject({
      ok: true,
      to: 'registered',
    });
  });
});

describe('guard: callback only on request_handling', () => {
  const RH = 'request_handling';
  const t = ticket('resolved');
  it.each(['community_governance', 'dispute_resolution', 'convenience_services', 'party_building'] as const)(
    'is not on %s',
    (platform) => {
      refusedWith(
        decide(ctx(platform, 'callback', actors.dispatcher, t, { contacted: true, resolved: true, satisfaction: 'satisfied' })),
        'ACTION_NOT_ON_PLATFORM',
      );
    },
  );
  it('request_handling has callback instead of verify', () => {
    refusedWith(decide(ctx(RH, 'verify', actors.gridWorker, t, { passed: true })), 'ACTION_NOT_ON_PLATFORM');
  });
  it.each(['satisfied', 'basically_satisfied'] as const)('%s archives', (satisfaction) => {
    expect(decide(ctx(RH, 'callback', actors.dispatcher, t, { contacted: true, resolved: true, satisfaction }))).toEqual({
      ok: true,
      to: 'archived',
      effects: [
        { kind: 'clock-stop', stage: 'callback' },
        { kind: 'callback-result', contacted: true, resolved: true, satisfaction },
      ],
    });
  });
  it('an unreachable resident archives with no satisfaction', () => {
    expect(decide(ctx(RH, 'callback', actors.dispatcher, t, { contacted: false }))).toMatchObject({
      ok: true,
      to: 'archived',
      effects: [
        { kind: 'clock-stop', stage: 'callback' },
        { kind: 'callback-result', contacted: false, resolved: null, satisfaction: null },
      ],
    });
  });
  it('dissatisfied reopens for re-handling (重办) with supervision and a fresh first contact', () => {
    const d = decide(
      ctx(RH, 'callback', actors.dispatcher, t, { contacted: true, resolved: false, satisfaction: 'dissatisfied', note: '问题依旧' }),
    );
    expect(d).toEqual({
      ok: true,
      to: 'in_progress',
      effects: [
        { kind: 'clock-stop', stage: 'callback' },
        { kind: 'callback-result', contacted: true, resolved: false, satisfaction: 'dissatisfied' },
        { kind: 'reopen', cause: 'callback_dissatisfied' },
        { kind: 'set-resolver', userId: null },
        { kind: 'clear-first-contact' },
        { kind: 'supervise', reason: '问题依旧', source: 'callback' },
        { kind: 'clock-start', stage: 'resolve' },
      ],
    });
  });
  it('needs contacted, and when contacted, resolved and a valid satisfaction', () => {
    refusedWith(decide(ctx(RH, 'callback', actors.dispatcher, t)), 'INVALID_INPUT');
    refusedWith(decide(ctx(RH, 'callback', actors.dispatcher, t, { contacted: true, satisfaction: 'satisfied' })), 'INVALID_INPUT');
    refusedWith(
      decide(ctx(RH, 'callback', actors.dispatcher, t, { contacted: true, resolved: true, satisfaction: 'meh' as never })),
      'INVALID_INPUT',
    );
  });
  it('a resident may rate only their own ticket', () => {
    const input = { contacted: true, resolved: true, satisfaction: 'satisfied' } as const;
    refusedWith(decide(ctx(RH, 'callback', actors.resident, t, input)), 'NOT_FILER');
    expect(decide(ctx(RH, 'callback', actors.resident, ticket('resolved', { filedBy: 'r1' }), input))).toMatchObject({
      ok: true,
      to: 'archived',
    });
  });
});

describe('guard: extension requested by handler, decided by dispatcher', () => {
  const running = ticket('in_progress');
  const pending = ticket('in_progress', { extensionPending: { extraSeconds: 7200 } });
  it('a handler asks with a reason and a positive whole number of seconds', () => {
    expect(
      decide(ctx(CG, 'request-extension', actors.handler, running, { extraSeconds: 7200, reason: '等待配件' })),
    ).toEqual({ ok: true, to: 'in_progress', effects: [{ kind: 'extension-request', extraSeconds: 7200 }] });
    refusedWith(decide(ctx(CG, 'request-extension', actors.handler, running, { extraSeconds: 7200 })), 'REASON_REQUIRED');
    for (const bad of [0, -5, 1.5, Number.NaN, '3600', 400 * 24 * 3600]) {
      refusedWith(
        decide(ctx(CG, 'request-extension', actors.handler, running, { extraSeconds: bad as never, reason: 'r' })),
        'INVALID_INPUT',
      );
    }
  });
  it('only a handler asks, only a dispatcher decides', () => {
    refusedWith(decide(ctx(CG, 'request-extension', actors.dispatcher, running, { extraSeconds: 60, reason: 'r' })), 'FORBIDDEN_ROLE');
    refusedWith(decide(ctx(CG, 'decide-extension', actors.handler, pending, { approved: true })), 'FORBIDDEN_ROLE');
  });
  it('one request at a time; no decision without a request', () => {
    refusedWith(
      decide(ctx(CG, 'request-extension', actors.handler, pending, { extraSeconds: 60, reason: 'r' })),
      'REQUEST_ALREADY_PENDING',
    );
    refusedWith(decide(ctx(CG, 'decide-extension', actors.dispatcher, running, { approved: true })), 'NO_PENDING_REQUEST');
  });
  it('approval moves the limit of the handling clock; rejection only clears the request', () => {
    expect(decide(ctx(CG, 'decide-extension', actors.dispatcher, pending, { approved: true }))).toEqual({
      ok: true,
      to: 'in_progress',
      effects: [{ kind: 'extension', stage: 'resolve', extraSeconds: 7200 }, { kind: 'extension-clear' }],
    });
    expect(decide(ctx(CG, 'decide-extension', actors.dispatcher, pending, { approved: false }))).toEqual({
      ok: true,
      to: 'in_progress',
      effects: [{ kind: 'extension-clear' }],
    });
    refusedWith(decide(ctx(CG, 'decide-extension', actors.dispatcher, pending)), 'INVALID_INPUT');
  });
  it('a dispatcher may grant less than asked, never more', () => {
    expect(
      effectsOf(decide(ctx(CG, 'decide-extension', actors.dispatcher, pending, { approved: true, extraSeconds: 3600 }))),
    ).toContainEqual({ kind: 'extension', stage: 'resolve', extraSeconds: 3600 });
    refusedWith(
      decide(ctx(CG, 'decide-extension', actors.dispatcher, pending, { approved: true, extraSeconds: 7201 })),
      'INVALID_INPUT',
    );
  });
  it('dispute_resolution needs both parties to consent, and extends the mediation clock', () => {
    const DR = 'dispute_resolution';
    refusedWith(
      decide(ctx(DR, 'request-extension', actors.handler, running, { extraSeconds: 60, reason: 'r' })),
      'PARTIES_CONSENT_REQUIRED',
    );
    refusedWith(
      decide(ctx(DR, 'request-extension', actors.handler, running, { extraSeconds: 60, reason: 'r', partiesConsent: false })),
      'PARTIES_CONSENT_REQUIRED',
    );
    expect(
      decide(ctx(DR, 'request-extension', actors.handler, running, { extraSeconds: 60, reason: 'r', partiesConsent: true })),
    ).toMatchObject({ ok: true });
    expect(effectsOf(decide(ctx(DR, 'decide-extension', actors.dispatcher, pending, { approved: true })))).toContainEqual({
      kind: 'extension',
      stage: 'mediation',
      extraSeconds: 7200,
    });
  });
});

describe('guard: suspension requested by handler, decided by dispatcher', () => {
  const running = ticket('in_progress');
  const pending = ticket('in_progress', { suspensionPending: true });
  it('a handler request needs a reason and changes no state', () => {
    refusedWith(decide(ctx(CG, 'suspend', actors.handler, running)), 'REASON_REQUIRED');
    expect(decide(ctx(CG, 'suspend', actors.handler, running, { reason: '道路封闭' }))).toEqual({
      ok: true,
      to: 'in_progress',
      effects: [{ kind: 'suspension-request', reason: '道路封闭' }],
    });
  });
  it('a handler may not ask twice, nor suspend another unit', () => {
    refusedWith(decide(ctx(CG, 'suspend', actors.handler, pending, { reason: 'r' })), 'REQUEST_ALREADY_PENDING');
    refusedWith(decide(ctx(CG, 'suspend', actors.coHandler, running, { reason: 'r' })), 'NOT_HANDLING_UNIT');
  });
  it('a dispatcher approves (clock paused) or rejects a pending request', () => {
    expect(decide(ctx(CG, 'suspend', actors.dispatcher, pending, { approved: true }))).toEqual({
      ok: true,
      to: 'suspended',
      effects: [{ kind: 'suspension-clear' }, { kind: 'clock-pause', stage: 'resolve' }],
    });
    expect(decide(ctx(CG, 'suspend', actors.dispatcher, pending, { approved: false }))).toEqual({
      ok: true,
      to: 'in_progress',
      effects: [{ kind: 'suspension-clear' }],
    });
    refusedWith(decide(ctx(CG, 'suspend', actors.dispatcher, pending)), 'INVALID_INPUT');
  });
  it('a dispatcher may suspend directly with a reason', () => {
    refusedWith(decide(ctx(CG, 'suspend', actors.dispatcher, running)), 'REASON_REQUIRED');
    expect(decide(ctx(CG, 'suspend', actors.dispatcher, running, { reason: '不可抗力' }))).toEqual({
      ok: true,
      to: 'suspended',
      effects: [{ kind: 'clock-pause', stage: 'resolve' }],
    });
  });
  it('resume resumes the handling clock', () => {
    expect(decide(ctx('dispute_resolution', 'resume', actors.handler, ticket('suspended')))).toEqual({
      ok: true,
      to: 'in_progress',
      effects: [{ kind: 'clock-resume', stage: 'mediation' }],
    });
    refusedWith(decide(ctx(CG, 'resume', actors.official, ticket('suspended'))), 'FORBIDDEN_ROLE');
  });
});

describe('guard: merge only from open states', () => {
  it.each(STATES.filter((s) => isOpen(s)))('merges from %s and stops every clock', (state) => {
    expect(decide(ctx(CG, 'merge', actors.dispatcher, ticket(state), { parentId: 't0' }))).toEqual({
      ok: true,
      to: 'merged',
      effects: [{ kind: 'set-parent', parentId: 't0' }, { kind: 'clock-stop-all' }],
    });
  });
  it('needs a parent other than itself', () => {
    refusedWith(decide(ctx(CG, 'merge', actors.dispatcher, ticket('reported'))), 'INVALID_INPUT');
    refusedWith(decide(ctx(CG, 'merge', actors.dispatcher, ticket('reported'), { parentId: 't1' })), 'INVALID_INPUT');
  });
  it('is for dispatchers only', () => {
    refusedWith(decide(ctx(CG, 'merge', actors.official, ticket('reported'), { parentId: 't0' })), 'FORBIDDEN_ROLE');
  });
});

describe('guard: supervise on any open state, no state change', () => {
  it.each(STATES.filter((s) => isOpen(s)))('supervises a %s ticket in place', (state) => {
    expect(decide(ctx(CG, 'supervise', actors.official, ticket(state), { reason: '限期办结' }))).toEqual({
      ok: true,
      to: state,
      effects: [{ kind: 'supervise', reason: '限期办结', source: 'manual' }],
    });
  });
  it('needs a reason', () => {
    refusedWith(decide(ctx(CG, 'supervise', actors.dispatcher, ticket('in_progress'))), 'REASON_REQUIRED');
  });
  it('the SLA engine supervises as system', () => {
    expect(effectsOf(decide(ctx(CG, 'supervise', actors.system, ticket('in_progress'), { reason: '超期' })))).toEqual([
      { kind: 'supervise', reason: '超期', source: 'system' },
    ]);
  });
  it('handlers and grid workers may not supervise', () => {
    refusedWith(decide(ctx(CG, 'supervise', actors.handler, ticket('in_progress'), { reason: 'r' })), 'FORBIDDEN_ROLE');
    refusedWith(decide(ctx(CG, 'supervise', actors.filer, ticket('in_progress'), { reason: 'r' })), 'FORBIDDEN_ROLE');
  });
});

describe('guard: cancel only from reported, by the filer or a dispatcher', () => {
  it('the filer and a dispatcher may cancel', () => {
    expect(decide(ctx(CG, 'cancel', actors.filer, ticket('reported')))).toEqual({
      ok: true,
      to: 'cancelled',
      effects: [{ kind: 'clock-stop', stage: 'register' }],
    });
    expect(decide(ctx(CG, 'cancel', actors.dispatcher, ticket('reported')))).toMatchObject({ ok: true });
    expect(decide(ctx(CG, 'cancel', actors.resident, ticket('reported', { filedBy: 'r1' })))).toMatchObject({ ok: true });
  });
  it('another grid worker or resident may not', () => {
    refusedWith(decide(ctx(CG, 'cancel', actors.gridWorker, ticket('reported'))), 'NOT_FILER');
    refusedWith(decide(ctx(CG, 'cancel', actors.resident, ticket('reported'))), 'NOT_FILER');
    refusedWith(decide(ctx(CG, 'cancel', actors.gridWorker, ticket('reported', { filedBy: null }))), 'NOT_FILER');
  });
  it('a handler may not', () => {
    refusedWith(decide(ctx(CG, 'cancel', actors.handler, ticket('reported'))), 'FORBIDDEN_ROLE');
  });
  it('not after registration', () => {
    refusedWith(decide(ctx(CG, 'cancel', actors.filer, ticket('registered'))), 'ILLEGAL_TRANSITION');
  });
});

describe('guard: self-resolve (自行处置)', () => {
  it('only by the filing grid worker', () => {
    refusedWith(decide(ctx(CG, 'self-resolve', actors.gridWorker, ticket('reported'))), 'NOT_FILER');
    refusedWith(decide(ctx(CG, 'self-resolve', actors.dispatcher, ticket('reported'))), 'FORBIDDEN_ROLE');
  });
  it('not on platforms that need a unit, a first contact or a volunteer', () => {
    for (const platform of ['request_handling', 'dispute_resolution', 'party_building'] as const) {
      refusedWith(decide(ctx(platform, 'self-resolve', actors.filer, ticket('reported'))), 'ACTION_NOT_ON_PLATFORM');
    }
  });
});

describe('guard: request_handling first contact (先行联系)', () => {
  const RH = 'request_handling';
  it('resolve is refused until the first contact is recorded', () => {
    const t = ticket('in_progress', { firstContactAt: null });
    refusedWith(decide(ctx(RH, 'resolve', actors.handler, t)), 'FIRST_CONTACT_REQUIRED');
    expect(allowedActions({ platform: RH, ticket: t, actor: actors.handler })).not.toContain('resolve');
    expect(allowedActions({ platform: RH, ticket: t, actor: actors.handler })).toContain('first-contact');
  });
  it('first-contact records it', () => {
    expect(decide(ctx(RH, 'first-contact', actors.handler, ticket('in_progress', { firstContactAt: null })))).toEqual({
      ok: true,
      to: 'in_progress',
      effects: [{ kind: 'first-contact' }],
    });
  });
  it('resolve then starts the callback clock, not the verify clock', () => {
    expect(effectsOf(decide(ctx(RH, 'resolve', actors.handler, ticket('in_progress'))))).toEqual([
      { kind: 'set-resolver', userId: 'h1' },
      { kind: 'clock-stop', stage: 'resolve' },
      { kind: 'clock-start', stage: 'callback' },
    ]);
  });
  it('other platforms do not need it', () => {
    expect(decide(ctx(CG, 'resolve', actors.handler, ticket('in_progress', { firstContactAt: null })))).toMatchObject({ ok: true });
  });
});

describe('guard: convenience_services materials checklist', () => {
  const CS = 'convenience_services';
  it.each([false, null, undefined])('refuses resolve and self-resolve when materialsComplete is %s', (materialsComplete) => {
    refusedWith(decide(ctx(CS, 'resolve', actors.handler, ticket('in_progress', { materialsComplete }))), 'MATERIALS_INCOMPLETE');
    refusedWith(decide(ctx(CS, 'self-resolve', actors.filer, ticket('reported', { materialsComplete }))), 'MATERIALS_INCOMPLETE');
  });
  it('accepts when complete', () => {
    expect(decide(ctx(CS, 'resolve', actors.handler, ticket('in_progress', { materialsComplete: true })))).toMatchObject({ ok: true });
  });
  it('other platforms ignore the checklist', () => {
    expect(decide(ctx(CG, 'resolve', actors.handler, ticket('in_progress', { materialsComplete: false })))).toMatchObject({ ok: true });
  });
});

describe('guard: dispute_resolution mediation', () => {
  const DR = 'dispute_resolution';
  it('record-mediation needs a note and counts a session', () => {
    refusedWith(decide(ctx(DR, 'record-mediation', actors.handler, ticket('in_progress'))), 'INVALID_INPUT');
    expect(decide(ctx(DR, 'record-mediation', actors.handler, ticket('in_progress'), { note: '双方到场' }))).toEqual({
      ok: true,
      to: 'in_progress',
      effects: [{ kind: 'mediation-session' }],
    });
  });
  it('resolve needs at least one session', () => {
    const t = ticket('in_progress', { mediationSessionCount: 0 });
    refusedWith(decide(ctx(DR, 'resolve', actors.handler, t, { mediationOutcome: 'agreement' })), 'MEDIATION_SESSION_REQUIRED');
  });
  it('resolve needs an outcome, and a referral when mediation failed', () => {
    const t = ticket('in_progress');
    refusedWith(decide(ctx(DR, 'resolve', actors.handler, t)), 'INVALID_INPUT');
    refusedWith(decide(ctx(DR, 'resolve', actors.handler, t, { mediationOutcome: 'failed' })), 'INVALID_INPUT');
    expect(effectsOf(decide(ctx(DR, 'resolve', actors.handler, t, { mediationOutcome: 'failed', mediationReferral: 'court' })))).toEqual([
      { kind: 'set-resolver', userId: 'h1' },
      { kind: 'clock-stop', stage: 'mediation' },
      { kind: 'clock-start', stage: 'verify' },
      { kind: 'mediation-outcome', outcome: 'failed', referral: 'court' },
    ]);
    expect(effectsOf(decide(ctx(DR, 'resolve', actors.handler, t, { mediationOutcome: 'agreement', mediationReferral: 'court' })))).toContainEqual(
      { kind: 'mediation-outcome', outcome: 'agreement', referral: null },
    );
  });
  it('sign starts the mediation clock', () => {
    expect(effectsOf(decide(ctx(DR, 'sign', actors.handler, ticket('dispatched'))))).toContainEqual({
      kind: 'clock-start',
      stage: 'mediation',
      ifNone: true,
    });
  });
});

describe('guard: party_building is claimed by volunteers', () => {
  const PB = 'party_building';
  it('registration opens the claim pool and starts the claim clock', () => {
    expect(effectsOf(decide(ctx(PB, 'register', actors.dispatcher, ticket('reported'))))).toEqual([
      { kind: 'clock-stop', stage: 'register' },
      { kind: 'clock-start', stage: 'sign' },
    ]);
  });
  it('a party-branch handler claims it for their unit and themselves', () => {
    const pool = ticket('registered', { unitId: null, coUnitIds: [], handlerId: null });
    expect(decide(ctx(PB, 'claim', actors.volunteer, pool))).toEqual({
      ok: true,
      to: 'in_progress',
      effects: [
        { kind: 'set-unit', unitId: PARTY_UNIT },
        { kind: 'set-co-units', unitIds: [] },
        { kind: 'set-handler', handlerId: 'v1' },
        { kind: 'clock-stop', stage: 'sign' },
        { kind: 'clock-start', stage: 'resolve' },
      ],
    });
  });
  it('a handler of another unit type may not claim', () => {
    const pool = ticket('registered', { unitId: null });
    refusedWith(decide(ctx(PB, 'claim', actors.handler, pool)), 'NOT_CLAIMER_UNIT');
    refusedWith(decide(ctx(PB, 'claim', { id: 'v9', role: 'handler', unitType: 'party_branch' }, pool)), 'NOT_CLAIMER_UNIT');
    refusedWith(decide(ctx(PB, 'claim', actors.dispatcher, pool)), 'FORBIDDEN_ROLE');
  });
  it('is never dispatched', () => {
    refusedWith(decide(ctx(PB, 'dispatch', actors.dispatcher, ticket('registered'), { unitId: 'u1' })), 'ACTION_NOT_ON_PLATFORM');
  });
  it('a volunteer gives it back to the pool with a reason', () => {
    const claimed = ticket('in_progress', { unitId: PARTY_UNIT, coUnitIds: [], handlerId: 'v1' });
    refusedWith(decide(ctx(PB, 'return', actors.volunteer, claimed)), 'REASON_REQUIRED');
    expect(decide(ctx(PB, 'return', actors.volunteer, claimed, { reason: 'other', note: '时间冲突' }))).toEqual({
      ok: true,
      to: 'registered',
      effects: [
        { kind: 'increment-bounce' },
        { kind: 'clock-stop', stage: 'resolve' },
        { kind: 'set-unit', unitId: null },
        { kind: 'set-co-units', unitIds: [] },
        { kind: 'set-handler', handlerId: null },
        { kind: 'clock-start', stage: 'sign' },
      ],
    });
  });
  it('resolve records volunteer hours', () => {
    const claimed = ticket('in_progress', { unitId: PARTY_UNIT, coUnitIds: [], handlerId: 'v1' });
    refusedWith(decide(ctx(PB, 'resolve', actors.volunteer, claimed)), 'INVALID_INPUT');
    refusedWith(decide(ctx(PB, 'resolve', actors.volunteer, claimed, { volunteerHours: 0 })), 'INVALID_INPUT');
    expect(effectsOf(decide(ctx(PB, 'resolve', actors.volunteer, claimed, { volunteerHours: 1.5 })))).toContainEqual({
      kind: 'volunteer-hours',
      hours: 1.5,
    });
  });
});

describe('resolve clears pending requests', () => {
  it('emits clears for a pending extension and suspension', () => {
    const t = ticket('in_progress', { extensionPending: { extraSeconds: 60 }, suspensionPending: true });
    expect(effectsOf(decide(ctx(CG, 'resolve', actors.handler, t))).slice(0, 2)).toEqual([
      { kind: 'extension-clear' },
      { kind: 'suspension-clear' },
    ]);
  });
});

describe('httpStatusFor', () => {
  const expected: Record<WorkflowErrorCode, number> = {
    UNKNOWN_ACTION: 400,
    INVALID_INPUT: 400,
    ILLEGAL_TRANSITION: 409,
    ACTION_NOT_ON_PLATFORM: 409,
    FORBIDDEN_ROLE: 403,
    NOT_HANDLING_UNIT: 403,
    NOT_FILER: 403,
    NOT_CLAIMER_UNIT: 403,
    SAME_PERSON_VERIFY: 403,
    REASON_REQUIRED: 422,
    SAME_UNIT: 422,
    PARTIES_CONSENT_REQUIRED: 422,
    FIRST_CONTACT_REQUIRED: 409,
    MATERIALS_INCOMPLETE: 409,
    MEDIATION_SESSION_REQUIRED: 409,
    NO_PENDING_REQUEST: 409,
    REQUEST_ALREADY_PENDING: 409,
  };
  it.each(WORKFLOW_ERROR_CODES)('%s', (code) => {
    expect(httpStatusFor(code)).toBe(expected[code]);
  });
  it('has an expectation for every code', () => {
    expect(Object.keys(expected).sort()).toEqual([...WORKFLOW_ERROR_CODES].sort());
  });
});

describe('isOpen', () => {
  it('matches the open states of the diagram', () => {
    expect(STATES.filter((s) => isOpen(s))).toEqual([
      'reported',
      'registered',
      'dispatched',
      'returned',
      'in_progress',
      'suspended',
      'resolved',
    ]);
  });
});

describe('co-handling units (协办)', () => {
  it('a co-unit handler sees add-note as the only action on every open state', () => {
    for (const state of STATES.filter((s) => isOpen(s))) {
      const actions = allowedActions({ platform: CG, ticket: ticket(state), actor: actors.coHandler });
      expect(actions).toEqual(['add-note']);
    }
  });
});
