/** Responses of the SLA admin API (no case content beyond ticket ids and numbers). */
export class CalendarSummaryResponse {
  code!: string;
  parentCode!: string | null;
  gridNodeId!: string | null;
  currentVersion!: number;
  updatedAt!: string;
}

export class CalendarVersionResponse {
  version!: number;
  note!: string | null;
  createdAt!: string;
}

export class CalendarResponse extends CalendarSummaryResponse {
  definition!: Record<string, unknown>;
  versions!: CalendarVersionResponse[];
}

export class PolicyResponse {
  code!: string;
  platform!: string | null;
  currentVersion!: number;
  definition!: Record<string, unknown>;
  updatedAt!: string;
}

export class DeadLetterResponse {
  id!: string;
  firingId!: string;
  ticketId!: string;
  ticketNumber!: string;
  threshold!: string;
  kind!: string;
  firedAt!: string;
  attempts!: number;
  lastError!: string;
  createdAt!: string;
  retriedAt!: string | null;
}

export class ClockChangeResponse {
  ticketId!: string;
  clockId!: string;
  stage!: string;
  state!: string;
  fromDeadline!: string | null;
  toDeadline!: string | null;
  movedSeconds!: number | null;
  fromPolicy!: string | null;
  toPolicy!: string;
  fromCalendar!: string | null;
  toCalendar!: string;
  /**
   * Facts of the stored clock that disagreed with the event log and were (or, in a dry run, would be) rewritten:
   * `state`, `startedAt`, `stoppedAt`, `pausedAt`, `pauses`, `extensionSeconds`; `missing` (the log implies a clock
   * no row recorded: inserted) or `unexplained` (a row no event explains: stopped). Empty when only the policy,
   * calendar or deadline moved.
   */
  repaired!: string[];
}

export class RecomputeResponse {
  recomputationId!: string | null;
  dryRun!: boolean;
  /** `events` (replayed from the event log) or `clocks` (stored facts kept). */
  source!: string;
  /** Clocks compared (live ones, plus stopped ones with `includeStopped`). */
  examined!: number;
  /** Clocks whose deadline, versions or facts changed (the length of `changes`). */
  moved!: number;
  /** Of the moved clocks, those whose stored facts disagreed with the event log. */
  repaired!: number;
  ticketsExamined!: number;
  /** More tickets matched than the limit: run again (moved clocks no longer move) or narrow the filter. */
  limitReached!: boolean;
  /** With `limitReached`: pass as `afterTicketId` to continue with the next tickets. */
  nextAfterTicketId!: string | null;
  changes!: ClockChangeResponse[];
}
