import { CN_NATIONAL_2025_2026, elapsedBusinessSeconds, resolveCalendar } from '../../../libs/sla-calendar';
import { DURATION_METRICS } from './report-metrics';
import { ticketFacts, type FactEvent, type FactTicket } from './ticket-facts';

const cal = resolveCalendar([CN_NATIONAL_2025_2026]);
const T: FactTicket = { platform: 'community_governance', categoryCode: '0101', channel: 'patrol', gridPath: '210900.210902.210902001', unitId: 'u1', callback: null };
const at = (local: string) => new Date(`${local}+08:00`);
const ev = (action: string, to: string, local: string, data: Record<string, unknown> = {}): FactEvent => ({ action, to, at: at(local), data });
const metric = (name: (typeof DURATION_METRICS)[number]) => DURATION_METRICS.indexOf(name);

describe('report facts: suspensions (挂起) and business time', () => {
  // Tuesday 2 June 2026, a working day: dispatched 09:00, signed 09:10, suspended 10:00–11:00, resolved 14:00.
  const base = [
    ev('file', 'reported', '2026-06-02T08:40:00'), ev('register', 'registered', '2026-06-02T08:50:00'),
    ev('dispatch', 'dispatched', '2026-06-02T09:00:00', { unitId: 'u1' }), ev('sign', 'in_progress', '2026-06-02T09:10:00'),
  ];
  const resolve = ev('resolve', 'resolved', '2026-06-02T14:00:00');

  it('business time leaves a suspension out; natural time keeps it', () => {
    const plain = ticketFacts([...base, resolve], T, null, cal).contribution!.durationsMs;
    const suspended = ticketFacts([...base, ev('suspend', 'suspended', '2026-06-02T10:00:00', { approved: true }), ev('resume', 'in_progress', '2026-06-02T11:00:00'), resolve], T, null, cal)
      .contribution!.durationsMs;
    expect(suspended[metric('dispatchToResolve')]).toBe(plain[metric('dispatchToResolve')]);
    expect(plain[metric('dispatchToResolveBusiness')]! - suspended[metric('dispatchToResolveBusiness')]!).toBe(3_600_000);
    // Signing came before the suspension: unchanged.
    expect(suspended[metric('dispatchToSignBusiness')]).toBe(plain[metric('dispatchToSignBusiness')]);
  });

  it("a suspension over a weekend costs only the working time it covered; a handler's request before approval pauses nothing", () => {
    // Friday 29 May 16:00 → Wednesday 3 June 10:00 (Monday 1 June is a working day in 2026): suspended the rest of
    // Friday, all of Monday and Tuesday, and Wednesday until 10:00.
    const events = [
      ev('file', 'reported', '2026-05-29T08:40:00'), ev('dispatch', 'dispatched', '2026-05-29T09:00:00', { unitId: 'u1' }), ev('sign', 'in_progress', '2026-05-29T09:30:00'),
      ev('suspend', 'in_progress', '2026-05-29T15:00:00', { reason: '等待配件' }), // a handler's request: still in progress
      ev('suspend', 'suspended', '2026-05-29T16:00:00', { approved: true }), // the dispatcher approves: suspended
      ev('supervise', 'suspended', '2026-06-01T09:00:00'), // an event while suspended does not end the pause
      ev('resume', 'in_progress', '2026-06-03T10:00:00'), ev('resolve', 'resolved', '2026-06-03T11:00:00'),
    ];
    const facts = ticketFacts(events, T, null, cal).contribution!.durationsMs;
    const expected = elapsedBusinessSeconds(cal, at('2026-05-29T09:00:00'), at('2026-06-03T11:00:00'), 'working_hours',
      [{ from: at('2026-05-29T16:00:00'), to: at('2026-06-03T10:00:00') }]) * 1000;
    expect(facts[metric('dispatchToResolveBusiness')]).toBe(Math.round(expected));
    expect(facts[metric('dispatchToResolve')]).toBe(at('2026-06-03T11:00:00').getTime() - at('2026-05-29T09:00:00').getTime());
    // 09:00–16:00 on Friday less the lunch break, then 10:00–11:00 on Wednesday: far less than the days between.
    expect(facts[metric('dispatchToResolveBusiness')]).toBeLessThan(8 * 3_600_000);
  });
});

describe('report facts: when a ticket stopped being open (the backlog comparison)', () => {
  const filed = [ev('file', 'reported', '2026-06-02T08:40:00'), ev('register', 'registered', '2026-06-02T08:50:00')];

  it('open: no end; closed, voided or merged: the event that made it terminal, not a later one', () => {
    expect(ticketFacts(filed, T, null, cal)).toMatchObject({ open: true, endedAt: null });
    const closed = [...filed, ev('dispatch', 'dispatched', '2026-06-02T09:00:00', { unitId: 'u1' }), ev('sign', 'in_progress', '2026-06-02T09:10:00'),
      ev('resolve', 'resolved', '2026-06-02T14:00:00'), ev('verify', 'closed', '2026-06-03T10:00:00', { passed: true }), ev('add-note', 'closed', '2026-06-04T10:00:00')];
    expect(ticketFacts(closed, T, null, cal)).toMatchObject({ open: false, endedAt: at('2026-06-03T10:00:00') });
    expect(ticketFacts([...filed.slice(0, 1), ev('void', 'voided', '2026-06-02T09:00:00')], T, null, cal)).toMatchObject({ open: false, endedAt: at('2026-06-02T09:00:00') });
    expect(ticketFacts([...filed, ev('merge', 'merged', '2026-06-02T10:00:00')], T, null, cal)).toMatchObject({ open: false, endedAt: at('2026-06-02T10:00:00'), contribution: null });
  });
});
