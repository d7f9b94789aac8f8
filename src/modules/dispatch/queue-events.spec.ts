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

  it("a handler's inbox leaves out a dispute handed to another mediator, as the inbox list does", () => {
    const mine = inboxFilter('u1', '210900.210902', true, 'h1');
    expect(mine(n({ platform: 'dispute_resolution', handlerId: 'h2' }))).toBeNull();
    expect(mine(n({ platform: 'dispute_resolution', handlerId: 'h1' }))).toBe('new');
    expect(mine(n({ platform: 'dispute_resolution', handlerId: null }))).toBe('new');
    expect(mine(n({ handlerId: 'h2' }))).toBe('new'); // not a dispute: the unit's to see
    expect(inboxFilter('u1', '210900.210902', true)(n({ platform: 'dispute_resolution', handlerId: 'h2' }))).toBe('new'); // a dispatcher
  });

  it('triage: filed or returned is new; registered stays (changed); dispatched out is claimed; voided is removed', () => {
    const f = triageFilter('210900.210902', true);
    expect(f(n({ status: 'reported', from: null }))).toBe('new');
    expect(f(n({ status: 'returned', from: 'in_progress' }))).toBe('new');
    // 立案 is not a claim: a registered ticket waits in triage for dispatch.
    expect(f(n({ status: 'registered', from: 'reported' }))).toBe('changed');
    expect(f(n({ status: 'registered', from: 'returned' }))).toBe('changed'); // return approved, no new unit
    expect(f(n({ status: 'registered', from: 'resolved' }))).toBe('new'); // self-resolved, verification failed
    expect(f(n({ status: 'registered', from: 'registered' }))).toBe('changed');
    expect(f(n({ status: 'dispatched', from: 'registered' }))).toBe('claimed');
    expect(f(n({ status: 'dispatched', from: 'returned' }))).toBe('claimed');
    expect(f(n({ status: 'merged', from: 'registered' }))).toBe('removed');
    expect(f(n({ status: 'voided', from: 'reported' }))).toBe('removed');
    expect(f(n({ status: 'returned', from: 'returned' }))).toBe('changed');
    // party_building: registration opens the volunteers' claim pool, which is not triage.
    expect(f(n({ platform: 'party_building', status: 'registered', from: 'reported' }))).toBe('claimed');
    expect(f(n({ platform: 'party_building', status: 'in_progress', from: 'registered' }))).toBeNull();
    expect(f(n({ platform: 'party_building', status: 'registered', from: 'in_progress' }))).toBeNull();
    expect(f(n({ status: 'in_progress', from: 'dispatched' }))).toBeNull();
    expect(f(n({ status: 'reported', from: null, gridPath: '210900.2109021' }))).toBeNull();
    expect(triageFilter('210900', false)(n({ status: 'reported', from: null, platform: 'dispute_resolution' }))).toBeNull();
  });
});
