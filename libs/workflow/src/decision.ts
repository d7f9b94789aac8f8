import type { LocalizedMessage, WorkflowErrorCode } from './workflow-errors';
import type { Effect, State } from './workflow.types';

/** An accepted action: the state to move to (possibly unchanged) and the effects to apply, in order. */
export interface Accepted {
  ok: true;
  to: State;
  effects: Effect[];
}

/** A refused action: nothing may change. */
export interface Refused {
  ok: false;
  code: WorkflowErrorCode;
  message: LocalizedMessage;
}

/** The result of `decide`. */
export type Decision = Accepted | Refused;

export function accept(to: State, effects: Effect[] = []): Accepted {
  return { ok: true, to, effects };
}

export function refuse(code: WorkflowErrorCode, zh: string, en: string): Refused {
  return { ok: false, code, message: { zh, en } };
}
