import { inboxFilter, triageFilter, type QueueNotice } from './queue-events.service';

const n = (over: Partial<QueueNotice>): QueueNotice => ({
  id: 't1', platform: 'community_governance', status: 'dispatched', from: 'registered', unitId: 'u1', prevUnitId: null,
  handlerId: null, ownerless: false, gridPath: '210900.210902.210902001', version: 3, ...over,
});

describe('queue event filters', () => {
  it('unit inbox: arrivals, claims, departures and in-place changes, within scope only', () => {
    const f = inboxFilter('u1', '210900.210902', true);
    expect(f(n({}))).toBe('new');
    expect(f(n({ from: 'dispatched', prevUnitId: 'u2' }))).toBe('new'); // reassigned in
    expect(f(n({ from: 'dispatched', prevUnitId: 'u1' }))).toBe('changed');
    expect(f(n({ status: 'in_progress', from: 'dispatched', prevUnitId: 'u1' }))).toBe('claimed');
    expect(f(n({ status: 'returned', from: 'dispatched', prevUnitId: 'u1' }))).toBe('removed');
    expect(f(n({ unitId: 'u2', from: 'dispatched', prevUnitId: 'u1' }))).toBe('removed'); // reassigned away
    expect(f(n({ unitId: 'u2' }))).toBeNull();
    expect(f(n({ gridPath: '210900.210911.1' }))).toBeNull();
    expect(inboxFilter('u1', '210900.210902', false)(n({ platform: 'dispute_resolution' }))).toBeNull();
  });

  it('triage: filed or returned is new; registered or dispatched out is claimed; voided is removed', () => {
    const f = triageFilter('210900.210902', true);
    expect(f(n({ status: 'reported', from: null }))).toBe('new');
    expect(f(n({ status: 'returned', from: 'in_progress' }))).toBe('new');
    expect(f(n({ status: 'registered', from: 'reported' }))).toBe('claimed');
    expect(f(n({ status: 'dispatched', from: 'returned' }))).toBe('claimed');
    expect(f(n({ status: 'voided', from: 'reported' }))).toBe('removed');
    expect(f(n({ status: 'returned', from: 'returned' }))).toBe('changed');
    expect(f(n({}))).toBeNull();
    expect(f(n({ status: 'reported', from: null, gridPath: '210900.2109021' }))).toBeNull();
    expect(triageFilter('210900', false)(n({ status: 'reported', from: null, platform: 'dispute_resolution' }))).toBeNull();
  });
});
