/** Responses of the SLA admin API (no case content beyond ticket ids and numbers). */
export class CalendarSummaryResponse {
  code!: string;
  parentCode!: string | null;
  gridNodeId!: string | null;
  currentVersion!: number;
  updatedAt!: string;
}

export class CalendarResponse extends CalendarSummaryResponse {
  definition!: Record<string, unknown>;
  versions!: Array<{ version: number; note: string | null; createdAt: string }>;
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
}

export class RecomputeResponse {
  recomputationId!: string | null;
  dryRun!: boolean;
  examined!: number;
  moved!: number;
  changes!: ClockChangeResponse[];
}
