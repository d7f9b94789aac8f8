/** Stable codes of {@link SlaCalendarError}; map them to HTTP in one place in the application. */
export enum SlaCalendarErrorCode {
  /** A calendar definition or resolved calendar is malformed (bad period, date, closure…). */
  InvalidCalendar = 'INVALID_CALENDAR',
  /** The inheritance chain is empty, out of order, or has duplicate codes. */
  InvalidChain = 'INVALID_CHAIN',
  /** A limit has an unknown type, a missing/negative amount, or an option its type does not take. */
  InvalidLimit = 'INVALID_LIMIT',
  /** A pause ends before it starts, or has an invalid instant. */
  InvalidPause = 'INVALID_PAUSE',
  /** An argument is not a valid `Date` (or a fraction/offset is not a finite non-negative number). */
  InvalidArgument = 'INVALID_ARGUMENT',
  /** A yearly holiday schedule text has bad lines; `details` lists them. */
  InvalidSchedule = 'INVALID_SCHEDULE',
  /** The computation would run past the search horizon (about 10 years of calendar days). */
  HorizonExceeded = 'HORIZON_EXCEEDED',
  /** The limit is not reached before an open (still running) pause begins, so no deadline exists yet. */
  OpenPause = 'OPEN_PAUSE',
}

/** One problem found in an input, with its 1-based line when it comes from a text import. */
export interface SlaCalendarErrorDetail {
  line?: number;
  message: string;
}

/** The only error type thrown by `libs/sla-calendar`. */
export class SlaCalendarError extends Error {
  override readonly name = 'SlaCalendarError';

  constructor(
    readonly code: SlaCalendarErrorCode,
    message: string,
    readonly details: readonly SlaCalendarErrorDetail[] = [],
  ) {
    super(message);
  }
}
