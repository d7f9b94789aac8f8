import { PLATFORM_TABLES, ruleFor } from './rules';
import { isAction } from './decide';
import type { ClockStage, Platform, State } from './workflow.types';

/**
 * Clock replay (时限重放): the facts of a ticket's SLA clocks, derived from its event log alone.
 *
 * The tickets module writes clocks as it applies each action's clock effects, in the action's transaction.
 * This module answers the same question from the recorded events (action, from/to status, instant, data), so
 * that a recomputation can rebuild clocks under new policy and calendar versions and repair any clock row that
 * disagrees with the log. It mirrors the integrator's rules exactly:
 *
 * - `clock-start` stops the stage's live clock (as is, a pause left open) and starts a fresh run (with `ifNone`,
 *   a live run is kept instead); a dispatch starts the sign clock and the resolve (处置) clock together, the latter
 *   counting from the ticket's last dispatch (派遣), as in 数字城管; a mediation (调解) clock starts at sign (受理);
 * - `clock-stop` / `clock-stop-all` stop live clocks, closing an open pause at the same instant;
 * - `clock-pause` pauses only a running clock; `clock-resume` resumes only a paused one;
 * - an approved extension (延期) adds the granted seconds to the stage's live clock.
 *
 * Events that carry no clock effect (supervision, notes, SLA firings, recomputations, …) are ignored.
 */

/** One event of a ticket's log, as the replay reads it. */
export interface ClockReplayEvent {
  /** The workflow action, or `file` for the filing event; other names (sla-*, parent-closed, …) have no clock effect. */
  action: string;
  from: State | null;
  to: State;
  /** The instant the action's transaction used (the database clock). */
  at: Date;
  /** The event's data: `approved` (review-return, decide-extension, suspend), `extensionGranted` (decide-extension). */
  data?: Readonly<Record<string, unknown>> | null;
}

/** A closed pause (挂起期间). */
export interface ReplayedPause {
  from: Date;
  to: Date;
}

/** One run of one stage's clock, with the facts the log implies. */
export interface ReplayedClock {
  stage: ClockStage;
  state: 'running' | 'paused' | 'stopped';
  startedAt: Date;
  stoppedAt: Date | null;
  pausedAt: Date | null;
  pauses: ReplayedPause[];
  extensionSeconds: number;
  /** Index (0-based) in the event list of the event that started this run. */
  startedBy: number;
}

/** A clock effect as the replay applies it (the clock subset of the workflow's effects). */
export type ReplayClockEffect =
  | { kind: 'clock-start'; stage: ClockStage; ifNone?: true }
  | { kind: 'clock-stop'; stage: ClockStage }
  | { kind: 'clock-stop-all' }
  | { kind: 'clock-pause'; stage: ClockStage }
  | { kind: 'clock-resume'; stage: ClockStage }
  | { kind: 'extension'; stage: ClockStage; extraSeconds: number };

/** What the replay remembers of the ticket between events. */
interface ReplayTicket {
  status: State | null;
  previousStatus: State | null;
  dispatchedAt: Date | null;
  resolvedAt: Date | null;
}

/**
 * The clock effects an event implies, from its recorded outcome (action, from → to, data) and the ticket's
 * state before it (`previousStatus` for a return review). Pure; mirrors libs/workflow's transitions.
 */
export function clockEffectsOfEvent(platform: Platform, event: ClockReplayEvent, previousStatus: State | null): ReplayClockEffect[] {
  const profile = PLATFORM_TABLES[platform];
  const handling = profile.handlingStage;
  if (event.action === 'file') return [{ kind: 'clock-start', stage: 'register' }];
  if (!isAction(event.action)) return [];
  const rule = ruleFor(platform, event.action);
  if (rule === undefined) return [];
  const approved = event.data?.approved === true;
  // What a dispatch (or re-dispatch) starts: the sign clock, and the resolve clock (a mediation clock waits for sign).
  const toUnit: ReplayClockEffect[] = handling === 'resolve'
    ? [{ kind: 'clock-start', stage: 'sign' }, { kind: 'clock-start', stage: 'resolve' }] : [{ kind: 'clock-start', stage: 'sign' }];
  const unitStage = (state: State | null): ClockStage => (state === 'in_progress' || state === 'suspended' ? handling : 'sign');
  switch (rule.transition) {
    case 'register': return [{ kind: 'clock-stop', stage: 'register' }];
    case 'register-to-pool': return [{ kind: 'clock-stop', stage: 'register' }, { kind: 'clock-start', stage: 'sign' }];
    case 'void': case 'cancel': return [{ kind: 'clock-stop', stage: 'register' }];
    case 'dispatch': return toUnit;
    case 'claim': return [{ kind: 'clock-stop', stage: 'sign' }, { kind: 'clock-start', stage: handling }];
    case 'sign': return [{ kind: 'clock-stop', stage: 'sign' }, { kind: 'clock-start', stage: handling, ifNone: true }];
    case 'return': return [];
    case 'return-to-pool': return [{ kind: 'clock-stop', stage: handling }, { kind: 'clock-start', stage: 'sign' }];
    case 'review-return': {
      if (!approved) return []; // 驳回退单: clocks untouched
      const stage = unitStage(previousStatus === 'in_progress' ? 'in_progress' : 'dispatched');
      if (event.to === 'dispatched') return [{ kind: 'clock-stop', stage }, ...toUnit];
      return stage === 'sign' ? [{ kind: 'clock-stop', stage }, { kind: 'clock-stop', stage: handling }] : [{ kind: 'clock-stop', stage }];
    }
    case 'reassign': return [{ kind: 'clock-stop', stage: unitStage(event.from) }, ...toUnit];
    case 'decide-extension': {
      const granted = event.data?.extensionGranted;
      if (!approved || typeof granted !== 'number') return [];
      return [{ kind: 'extension', stage: handling, extraSeconds: granted }];
    }
    case 'suspend': return event.to === 'suspended' ? [{ kind: 'clock-pause', stage: handling }] : [];
    case 'resume': return [{ kind: 'clock-resume', stage: handling }];
    case 'resolve': return [{ kind: 'clock-stop', stage: handling }, { kind: 'clock-start', stage: profile.afterResolveStage }];
    case 'self-resolve': return [{ kind: 'clock-stop', stage: 'register' }, { kind: 'clock-start', stage: profile.afterResolveStage }];
    case 'verify':
      return event.to === 'in_progress' ? [{ kind: 'clock-stop', stage: 'verify' }, { kind: 'clock-start', stage: handling }] : [{ kind: 'clock-stop', stage: 'verify' }];
    case 'callback':
      return event.to === 'in_progress' ? [{ kind: 'clock-stop', stage: 'callback' }, { kind: 'clock-start', stage: handling }] : [{ kind: 'clock-stop', stage: 'callback' }];
    case 'merge': return [{ kind: 'clock-stop-all' }];
    case 'first-contact': case 'record-mediation': case 'request-extension': case 'supervise': case 'add-note': return [];
  }
}

/**
 * When a resolve clock (处置时限) starts counting: from the ticket's dispatch, so that a unit slow to sign is late
 * to resolve as well — except for a rework (返工 after a failed verification, 重办 after a dissatisfied callback),
 * which sends back a ticket resolved since its dispatch: its new limit counts from the reopening, as the time spent
 * resolved, in verification or in callback was not the unit's. A re-dispatch after that counts from the new dispatch.
 */
export function resolveClockStart(dispatchedAt: Date | null, resolvedAt: Date | null, now: Date): Date {
  if (!dispatchedAt) return now;
  return resolvedAt && resolvedAt.getTime() > dispatchedAt.getTime() ? now : dispatchedAt;
}

/**
 * Replays a ticket's event log (in `seq` order) into its clock runs, in the order they were started.
 * Pure and total: unknown actions are ignored; effects on a stage with no suitable clock are no-ops.
 */
export function replayClocks(platform: Platform, events: readonly ClockReplayEvent[]): ReplayedClock[] {
  const runs: ReplayedClock[] = [];
  const ticket: ReplayTicket = { status: null, previousStatus: null, dispatchedAt: null, resolvedAt: null };
  const live = (stage: ClockStage): ReplayedClock | undefined => runs.find((r) => r.stage === stage && r.state !== 'stopped');
  const stop = (r: ReplayedClock, at: Date): void => {
    if (r.state === 'paused' && r.pausedAt) r.pauses.push({ from: r.pausedAt, to: at });
    r.state = 'stopped';
    r.stoppedAt = at;
    r.pausedAt = null;
  };
  events.forEach((event, index) => {
    const effects = clockEffectsOfEvent(platform, event, ticket.previousStatus);
    // The integrator updates the ticket (status, previous status, dispatch instant) before the clock effects.
    if (event.from !== event.to && event.action !== 'file') {
      ticket.previousStatus = event.from;
      if (event.to === 'dispatched') ticket.dispatchedAt = event.at;
      if (event.to === 'resolved') ticket.resolvedAt = event.at;
    }
    ticket.status = event.to;
    const at = event.at;
    for (const e of effects) {
      switch (e.kind) {
        case 'clock-start': {
          const existing = live(e.stage);
          if (existing && e.ifNone) break;
          if (existing) {
            // As the integrator does: the old run is stopped as it is (an open pause stays open).
            existing.state = 'stopped';
            existing.stoppedAt = at;
          }
          const startedAt = e.stage === 'resolve' ? resolveClockStart(ticket.dispatchedAt, ticket.resolvedAt, at) : at;
          runs.push({ stage: e.stage, state: 'running', startedAt, stoppedAt: null, pausedAt: null, pauses: [], extensionSeconds: 0, startedBy: index });
          break;
        }
        case 'clock-stop': {
          const r = live(e.stage);
          if (r) stop(r, at);
          break;
        }
        case 'clock-stop-all':
          for (const r of runs) if (r.state !== 'stopped') stop(r, at);
          break;
        case 'clock-pause': {
          const r = live(e.stage);
          if (r && r.state === 'running') {
            r.state = 'paused';
            r.pausedAt = at;
          }
          break;
        }
        case 'clock-resume': {
          const r = live(e.stage);
          if (r && r.state === 'paused' && r.pausedAt) {
            r.pauses.push({ from: r.pausedAt, to: at });
            r.state = 'running';
            r.pausedAt = null;
          }
          break;
        }
        case 'extension': {
          const r = live(e.stage);
          if (r) r.extensionSeconds += e.extraSeconds;
          break;
        }
      }
    }
  });
  return runs;
}
