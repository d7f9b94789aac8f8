import { QueryFailedError } from 'typeorm';
import { CN_NATIONAL_2025_2026, SlaCalendarError, SlaCalendarErrorCode, resolveCalendar } from '../../../libs/sla-calendar';
import { QUARANTINE_ERROR_MAX, blamesTicket, massFailure, quarantineError, sqlState } from './fold-quarantine';
import { ReportErrorCode, ReportException } from './reports.exception';
import { ticketFacts, type FactTicket } from './ticket-facts';

/** An error as node-postgres reports one from the server (`DatabaseError`), wrapped by TypeORM like a failed m.query. */
function dbError(code: string, message: string, detail?: string): QueryFailedError {
  const driver = Object.assign(new Error(message), { name: 'error', severity: 'ERROR', code, detail });
  return new QueryFailedError('INSERT …', [], driver);
}

describe('report fold quarantine rules', () => {
  describe('which failures are blamed on the tickets', () => {
    it.each([
      ['23514', 'check violation'], ['23505', 'unique violation'], ['22003', 'numeric value out of range'], ['54000', 'index row too large'], ['P0001', 'raised by a trigger'],
    ])('a database refusal of a row (%s, %s): retried ticket by ticket', (code) => {
      expect(blamesTicket(dbError(code, 'refused'))).toBe(true);
    });

    it.each([
      ['40001', 'serialization failure'], ['40P01', 'deadlock'], ['55P03', 'lock timeout'], ['57014', 'statement timeout'], ['57P01', 'admin shutdown'],
      ['08006', 'connection failure'], ['53100', 'disk full'], ['25P02', 'in an aborted transaction'], ['XX000', 'internal error'],
    ])('a failure of the connection or the moment (%s, %s): propagates, the batch is retried whole', (code) => {
      expect(blamesTicket(dbError(code, 'transient'))).toBe(false);
    });

    it('a network error of the driver propagates; an error of the code is blamed on the ticket', () => {
      expect(blamesTicket(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', errno: -104, syscall: 'read' }))).toBe(false);
      expect(blamesTicket(new TypeError("Cannot read properties of undefined (reading 'at')"))).toBe(true);
      expect(blamesTicket(new SlaCalendarError(SlaCalendarErrorCode.HorizonExceeded, 'no result'))).toBe(true);
    });

    it('reads a SQLSTATE only from errors the server reported', () => {
      expect(sqlState(dbError('23514', 'x'))).toBe('23514');
      expect(sqlState(Object.assign(new Error('x'), { code: 'EPIPE' }))).toBeNull();
      expect(sqlState(new SlaCalendarError(SlaCalendarErrorCode.InvalidArgument, 'x'))).toBeNull();
      expect(sqlState(null)).toBeNull();
    });
  });

  describe('what is kept of an error', () => {
    it('the name, the code and the message; never the failing row the database quotes in `detail`', () => {
      const err = dbError('23514', 'new row for relation "report_ticket_facts" violates check constraint "c"', 'Failing row contains (张三, 13800000000).');
      expect(quarantineError(err)).toBe('QueryFailedError 23514: new row for relation "report_ticket_facts" violates check constraint "c"');
      expect(quarantineError(new SlaCalendarError(SlaCalendarErrorCode.HorizonExceeded, 'no result within 3660 days')))
        .toBe('SlaCalendarError HORIZON_EXCEEDED: no result within 3660 days');
      // A context exception's message starts with its code already.
      expect(quarantineError(new ReportException(ReportErrorCode.FOLD_BUSY))).toBe(`ReportException: REPORT_FOLD_BUSY: ${new ReportException(ReportErrorCode.FOLD_BUSY).text.en}`);
      expect(quarantineError('boom')).toBe('thrown: boom');
      expect(quarantineError({ secret: 'x' })).toBe('thrown: object');
    });

    it('one line without control characters (a NUL would make the text column refuse it)', () => {
      expect(quarantineError(new Error('line one\nline\u0000two\t end'))).toBe('Error: line one line two end');
    });

    it('at most 500 characters, counted as Postgres counts them (code points)', () => {
      const long = quarantineError(new Error('字'.repeat(600)));
      expect(Array.from(long)).toHaveLength(QUARANTINE_ERROR_MAX);
      expect(long.endsWith('字…')).toBe(true);
      const astral = quarantineError(new Error('𠀀'.repeat(600)));
      expect(Array.from(astral)).toHaveLength(QUARANTINE_ERROR_MAX);
      expect(astral.endsWith('𠀀…')).toBe(true); // no half surrogate pair before the ellipsis
      expect(quarantineError(new Error('short'))).toBe('Error: short');
    });
  });

  it('a batch is halted, not quarantined, when more than 10 and more than half of its tickets fail', () => {
    expect(massFailure(1, 1)).toBe(false);
    expect(massFailure(10, 10)).toBe(false);
    expect(massFailure(11, 22)).toBe(false);
    expect(massFailure(11, 21)).toBe(true);
    expect(massFailure(4000, 5000)).toBe(true);
  });

  it('a poison log: a ticket whose filing is stamped a century before its dispatch makes its facts throw', () => {
    const cal = resolveCalendar([CN_NATIONAL_2025_2026]);
    const t: FactTicket = { platform: 'community_governance', categoryCode: '0101', channel: 'patrol', gridPath: '210900.210902', unitId: null, callback: null };
    const file = { action: 'file', to: 'reported', at: new Date('1925-06-01T02:00:00Z'), data: {} };
    const dispatch = { action: 'dispatch', to: 'dispatched', at: new Date('2026-06-01T02:00:00Z'), data: {} };
    expect(() => ticketFacts([file, dispatch], t, null, cal)).toThrow(SlaCalendarError);
    expect(() => ticketFacts([{ ...file, at: new Date('2026-05-31T02:00:00Z') }, dispatch], t, null, cal)).not.toThrow();
  });
});
