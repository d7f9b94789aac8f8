/**
 * Rules of the report fold's quarantine of poison tickets (docs/reports.md, "Poison tickets"): what is kept of an
 * error, which failures are blamed on the tickets being folded, and when a batch fails too widely to be their fault.
 */

/** Longest error text kept in `report_fold_quarantine.error` (characters; the column checks it). */
export const QUARANTINE_ERROR_MAX = 500;

/** Failures of the connection or of the moment: a later run retries the whole batch, as before the quarantine. */
const TRANSIENT_CLASSES = new Set([
  '08', // connection exception
  '25', // invalid transaction state (e.g. statements after an error in an aborted transaction)
  '40', // transaction rollback: serialization failure, deadlock
  '53', // insufficient resources: disk full, out of memory, too many connections
  '57', // operator intervention: statement timeout / cancel, shutdown
  '58', // system error (I/O)
  'XX', // internal error, data corrupted
]);
const TRANSIENT_STATES = new Set(['55P03']); // lock_not_available (lock_timeout)

/** The SQLSTATE of an error the database server reported (directly or wrapped by TypeORM), else null. */
export function sqlState(err: unknown): string | null {
  if (err === null || typeof err !== 'object') return null;
  const { code, severity } = err as { code?: unknown; severity?: unknown };
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && typeof severity === 'string' ? code : null;
}

/**
 * Whether a failed fold may be blamed on the tickets being folded, and so be retried ticket by ticket: a database
 * refusal of some row (a constraint, a value out of range), or any error of the code. Not for a failure of the
 * connection or of the moment (see TRANSIENT_CLASSES), nor a network error of the driver: those propagate, and
 * the next run retries the batch whole.
 */
export function blamesTicket(err: unknown): boolean {
  const state = sqlState(err);
  if (state !== null) return !TRANSIENT_CLASSES.has(state.slice(0, 2)) && !TRANSIENT_STATES.has(state);
  if (err !== null && typeof err === 'object' && ('syscall' in err || typeof (err as { errno?: unknown }).errno === 'number')) return false;
  return true;
}

/**
 * The text kept of a ticket's failure: the error's name, its code (SQLSTATE, or a library's code), and its message,
 * on one line, without control characters, at most QUARANTINE_ERROR_MAX characters. Only the message: never a
 * database error's `detail` ("Failing row contains …") or the query's parameters, which quote row values.
 */
export function quarantineError(err: unknown): string {
  let text: string;
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    // Error subclasses that do not set `name` (the context exceptions) are told by their class.
    const name = err.name === 'Error' && err.constructor.name !== 'Error' && err.constructor.name !== '' ? err.constructor.name : err.name;
    const label = typeof code === 'string' && code !== '' && !err.message.startsWith(code) ? `${name} ${code}` : name;
    text = `${label}: ${err.message}`;
  } else {
    text = `thrown: ${typeof err === 'string' ? err : typeof err}`;
  }
  // NUL (which a text column refuses) and the other control characters become spaces.
  const chars = Array.from(text.replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/ {2,}/g, ' ').trim());
  return chars.length <= QUARANTINE_ERROR_MAX ? chars.join('') : `${chars.slice(0, QUARANTINE_ERROR_MAX - 1).join('')}…`;
}

/** Below this many failed tickets a batch is never halted: a few poison tickets among few are still theirs. */
export const MASS_FAILURE_MIN = 10;

/**
 * Whether so many of a batch's tickets failed that the cause is the code or the database, not the tickets: more
 * than MASS_FAILURE_MIN and more than half of them. The fold then quarantines none and holds the cursor, as it did
 * before the quarantine, instead of quarantining the whole city ticket by ticket.
 */
export function massFailure(failed: number, total: number): boolean {
  return failed > MASS_FAILURE_MIN && failed * 2 > total;
}
