// Test fixtures shared by the workflow specs (not exported from the library).
import type {
  Action,
  DecisionContext,
  Platform,
  State,
  WorkflowActor,
  WorkflowInput,
  WorkflowTicket,
} from '../src/workflow.types';

export const LEAD_UNIT = 'unit-lead';
export const CO_UNIT = 'unit-co';
export const OTHER_UNIT = 'unit-other';
export const PARTY_UNIT = 'unit-party';

export const actors = {
  dispatcher: { id: 'd1', role: 'dispatcher' },
  dispatcher2: { id: 'd2', role: 'dispatcher' },
  handler: { id: 'h1', role: 'handler', unitId: LEAD_UNIT, unitType: 'bureau' },
  colleague: { id: 'h2', role: 'handler', unitId: LEAD_UNIT, unitType: 'bureau' },
  coHandler: { id: 'h3', role: 'handler', unitId: CO_UNIT, unitType: 'bureau' },
  strangerHandler: { id: 'h4', role: 'handler', unitId: OTHER_UNIT, unitType: 'bureau' },
  volunteer: { id: 'v1', role: 'handler', unitId: PARTY_UNIT, unitType: 'party_branch' },
  filer: { id: 'g1', role: 'grid_worker' },
  gridWorker: { id: 'g2', role: 'grid_worker' },
  official: { id: 'o1', role: 'official' },
  auditor: { id: 'a1', role: 'auditor' },
  admin: { id: 'ad1', role: 'admin' },
  resident: { id: 'r1', role: 'resident' },
  system: { id: 'system', role: 'system' },
} as const satisfies Record<string, WorkflowActor>;

/** A ticket on which every precondition holds; tests override what they probe. */
export function ticket(status: State, overrides: Partial<WorkflowTicket> = {}): WorkflowTicket {
  return {
    id: 't1',
    status,
    previousStatus: 'dispatched',
    unitId: LEAD_UNIT,
    coUnitIds: [CO_UNIT],
    handlerId: 'h1',
    filedBy: 'g1',
    resolvedBy: 'h1',
    firstContactAt: '2026-11-27T01:00:00.000Z',
    extensionPending: null,
    suspensionPending: false,
    bounceCount: 0,
    materialsComplete: true,
    mediationSessionCount: 1,
    ...overrides,
  };
}

export function ctx(
  platform: Platform,
  action: Action,
  actor: WorkflowActor,
  t: WorkflowTicket,
  input: WorkflowInput = {},
): DecisionContext {
  return { platform, action, actor, ticket: t, input };
}
