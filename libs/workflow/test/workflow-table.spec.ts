// Every (platform, state, action) triple against a table written out here by hand, not read from the
// implementation: a change to the machine must change this table too.
import { ACTIONS, PLATFORMS, ROLES, STATES, allowedActions, decide, platformActions, roleRefusal } from '../index';
import type { Action, Platform, State, WorkflowActor, WorkflowInput, WorkflowTicket } from '../index';
import { actors, ctx, ticket } from './workflow.fixtures';

type Row = Record<Platform, readonly State[] | null>;

const OPEN: readonly State[] = [
  'reported',
  'registered',
  'dispatched',
  'returned',
  'in_progress',
  'suspended',
  'resolved',
];

function all(from: readonly State[]): Row {
  return {
    community_governance: from,
    dispute_resolution: from,
    request_handling: from,
    convenience_services: from,
    party_building: from,
  };
}

function only(platforms: readonly Platform[], from: readonly State[]): Row {
  const row: Row = {
    community_governance: null,
    dispute_resolution: null,
    request_handling: null,
    convenience_services: null,
    party_building: null,
  };
  for (const p of platforms) row[p] = from;
  return row;
}

/** Legal source states per action and platform; null = the platform has no such action. */
const EXPECTED: Record<Action, Row> = {
  register: all(['reported']),
  void: all(['reported']),
  dispatch: { ...all(['registered']), party_building: null },
  sign: { ...all(['dispatched']), party_building: null },
  return: { ...all(['dispatched', 'in_progress']), party_building: ['in_progress'] },
  'review-return': { ...all(['returned']), party_building: null },
  reassign: { ...all(['dispatched', 'in_progress', 'suspended']), party_building: null },
  'request-extension': all(['in_progress']),
  'decide-extension': all(['in_progress', 'suspended']),
  suspend: all(['in_progress']),
  resume: all(['suspended']),
  resolve: all(['in_progress']),
  verify: { ...all(['resolved']), request_handling: null },
  callback: only(['request_handling'], ['resolved']),
  merge: all(OPEN),
  supervise: all(OPEN),
  cancel: all(['reported']),
  claim: only(['party_building'], ['registered']),
  'first-contact': only(['request_handling'], ['in_progress']),
  'record-mediation': only(['dispute_resolution'], ['in_progress']),
  'self-resolve': only(['community_governance', 'convenience_services'], ['reported']),
  'add-note': all(OPEN),
};

/** Target of the happy fixture below; 'same' = no state change. */
const TARGET: Record<Action, State | 'same'> = {
  register: 'registered',
  void: 'voided',
  dispatch: 'dispatched',
  sign: 'in_progress',
  return: 'returned', // party_building: see PARTY_TARGET
  'review-return': 'dispatched', // rejected, back to previousStatus
  reassign: 'dispatched',
  'request-extension': 'same',
  'decide-extension': 'same',
  suspend: 'in_progress', // a handler's request changes nothing yet
  resume: 'in_progress',
  resolve: 'resolved',
  verify: 'closed',
  callback: 'archived',
  merge: 'merged',
  supervise: 'same',
  cancel: 'cancelled',
  claim: 'in_progress',
  'first-contact': 'in_progress',
  'record-mediation': 'in_progress',
  'self-resolve': 'resolved',
  'add-note': 'same',
};
const PARTY_TARGET: Partial<Record<Action, State>> = { return: 'registered' };

/** An actor and input that satisfy every guard of the action, so only the state decides. */
function happy(
  platform: Platform,
  action: Action,
): { actor: WorkflowActor; input: WorkflowInput; ticket?: Partial<WorkflowTicket> } {
  switch (action) {
    case 'register':
    case 'resume':
      return { actor: actors.dispatcher, input: {} };
    case 'void':
      return { actor: actors.dispatcher, input: { reason: '重复上报' } };
    case 'cancel':
    case 'self-resolve':
      return { actor: actors.filer, input: {} };
    case 'dispatch':
    case 'reassign':
      return { actor: actors.dispatcher, input: { unitId: 'unit-new' } };
    case 'sign':
    case 'first-contact':
      return { actor: actors.handler, input: {} };
    case 'return':
      return { actor: actors.handler, input: { reason: 'wrong_function', note: '不属本单位' } };
    case 'review-return':
      return { actor: actors.dispatcher, input: { approved: false } };
    case 'request-extension':
      return { actor: actors.handler, input: { extraSeconds: 3600, reason: '等待配件', partiesConsent: true } };
    case 'decide-extension':
      return { actor: actors.dispatcher, input: { approved: true }, ticket: { extensionPending: { extraSeconds: 3600 } } };
    case 'suspend':
      return { actor: actors.handler, input: { reason: '等待天气', partiesConsent: true } };
    case 'resolve':
      return { actor: actors.handler, input: { volunteerHours: 2, mediationOutcome: 'agreement' } };
    case 'verify':
      return {
        actor: platform === 'community_governance' ? actors.gridWorker : actors.dispatcher,
        input: { passed: true },
      };
    case 'callback':
      return { actor: actors.dispatcher, input: { contacted: true, resolved: true, satisfaction: 'satisfied' } };
    case 'merge':
      return { actor: actors.dispatcher, input: { parentId: 't0' } };
    case 'supervise':
      return { actor: actors.official, input: { reason: '群众反映强烈' } };
    case 'claim':
      return { actor: actors.volunteer, input: {} };
    case 'record-mediation':
      return { actor: actors.handler, input: { note: '第一次调解' } };
    case 'add-note':
      return { actor: actors.coHandler, input: { note: '协办意见' } };
  }
}

const cases: Array<[Platform, State, Action]> = [];
for (const platform of PLATFORMS) {
  for (const state of STATES) {
    for (const action of ACTIONS) cases.push([platform, state, action]);
  }
}

describe('transition table: every (platform, state, action)', () => {
  it('covers all 5 × 12 × 22 triples', () => {
    expect(cases).toHaveLength(5 * 12 * 22);
  });

  it.each(cases)('%s · %s · %s', (platform, state, action) => {
    const fixture = happy(platform, action);
    const t = ticket(state, fixture.ticket);
    const decision = decide(ctx(platform, action, fixture.actor, t, fixture.input));
    const allowed = allowedActions({ platform, ticket: t, actor: fixture.actor });
    const legalFrom = EXPECTED[action][platform];

    if (legalFrom !== null && legalFrom.includes(state)) {
      const target = (platform === 'party_building' ? PARTY_TARGET[action] : undefined) ?? TARGET[action];
      expect(decision).toMatchObject({ ok: true, to: target === 'same' ? state : target });
      expect(allowed).toContain(action);
    } else {
      expect(decision).toMatchObject({
        ok: false,
        code: legalFrom === null ? 'ACTION_NOT_ON_PLATFORM' : 'ILLEGAL_TRANSITION',
      });
      expect(allowed).not.toContain(action);
    }
  });
});

describe('platformActions', () => {
  it.each(PLATFORMS)('%s lists exactly the actions of the expected table', (platform) => {
    const expected = ACTIONS.filter((a) => EXPECTED[a][platform] !== null);
    expect(platformActions(platform)).toEqual(expected);
  });
});

describe('roleRefusal', () => {
  it('refuses a role exactly when no state lets it take the action, as decide does', () => {
    for (const platform of PLATFORMS) {
      for (const action of ACTIONS) {
        for (const role of ROLES) {
          // decide checks the state before the role: the role is refused if any state gets as far as refusing it.
          const actor = { ...actors.handler, id: `x-${role}`, role } as WorkflowActor;
          const forbidden = STATES.some((state) => {
            const d = decide(ctx(platform, action, actor, ticket(state)));
            return !d.ok && d.code === 'FORBIDDEN_ROLE';
          });
          const onPlatform = platformActions(platform).includes(action);
          const refusal = roleRefusal(platform, action, role);
          expect({ platform, action, role, refused: refusal?.code ?? null })
            .toEqual({ platform, action, role, refused: onPlatform && forbidden ? 'FORBIDDEN_ROLE' : null });
        }
      }
    }
    expect(roleRefusal('community_governance', 'register', 'grid_worker')).toMatchObject({ ok: false, code: 'FORBIDDEN_ROLE' });
    expect(roleRefusal('community_governance', 'register', 'dispatcher')).toBeNull();
    expect(roleRefusal('community_governance', 'register', 'nobody')).toMatchObject({ code: 'FORBIDDEN_ROLE' });
  });
});

describe('terminal states', () => {
  const terminal: State[] = ['closed', 'archived', 'voided', 'cancelled', 'merged'];
  it.each(terminal)('no actor can do anything on a %s ticket', (state) => {
    for (const platform of PLATFORMS) {
      for (const actor of Object.values(actors)) {
        expect(allowedActions({ platform, ticket: ticket(state), actor })).toEqual([]);
      }
    }
  });
});
