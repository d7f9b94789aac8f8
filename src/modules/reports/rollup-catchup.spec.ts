import type { RollupRepository } from './rollup.repository';
import { RollupService } from './rollup.service';
import type { SlaCalendars } from '../sla/sla-calendars.service';

/** A fold over a log of `total` unfolded events: each batch takes what it is asked for (the database is not needed). */
function logOf(total: number): { service: RollupService; sizes: number[] } {
  const service = new RollupService({} as RollupRepository, {} as SlaCalendars);
  const sizes: number[] = [];
  let left = total;
  jest.spyOn(service, 'foldOnce').mockImplementation(async (size = 5000) => {
    sizes.push(size);
    const events = Math.min(size, left);
    left -= events;
    return { events, tickets: events, quarantined: 0, more: events >= size };
  });
  return { service, sizes };
}

describe('catching up the report fold', () => {
  it('keeps the batch size for live traffic, and without growTo', async () => {
    const live = logOf(300);
    expect(await live.service.catchUp(200, 5000, undefined, { growTo: 50_000 })).toMatchObject({ events: 300, batches: 1 });
    const fixed = logOf(30_000);
    expect(await fixed.service.catchUp(200, 5000)).toMatchObject({ events: 30_000, batches: 7 });
    expect(new Set(fixed.sizes)).toEqual(new Set([5000]));
  });

  it('doubles the batches of a backlog up to growTo', async () => {
    const backlog = logOf(1_000_000);
    const r = await backlog.service.catchUp(200, 5000, undefined, { growTo: 50_000 });
    expect(r.events).toBe(1_000_000);
    expect(backlog.sizes.slice(0, 6)).toEqual([5000, 10_000, 20_000, 40_000, 50_000, 50_000]);
    expect(r.batches).toBe(backlog.sizes.length);
    expect(r.batches).toBeLessThan(30); // 200 at 5 000 a batch
  });

  it('stops at maxBatches and after budgetMs', async () => {
    expect((await logOf(1_000_000).service.catchUp(3, 5000, undefined, { growTo: 50_000 })).events).toBe(35_000);
    expect((await logOf(1_000_000).service.catchUp(200, 5000, undefined, { budgetMs: 0 })).batches).toBe(0);
  });
});
