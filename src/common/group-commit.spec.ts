import { GroupCommit, type Waiter } from './group-commit';

const tick = () => new Promise<void>((r) => setImmediate(r));

describe('GroupCommit: callers of a key served in batches', () => {
  it('serves the first caller at once and everyone who arrived meanwhile in the next batch', async () => {
    const batches: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const gc = new GroupCommit<number, number>('spec', async (_key, batch) => {
      batches.push(batch.map((w) => w.item));
      if (batches.length === 1) await gate;
      for (const w of batch) w.resolve(w.item * 10);
    }, { inFlight: 1, maxBatch: 3 });
    const results = [1, 2, 3, 4, 5].map((i) => gc.submit('k', i));
    await tick();
    release();
    expect(await Promise.all(results)).toEqual([10, 20, 30, 40, 50]);
    expect(batches).toEqual([[1], [2, 3, 4], [5]]);
  });

  it('keeps keys apart and runs up to `inFlight` batches of a key at once', async () => {
    let running = 0;
    let peak = 0;
    const seen: string[] = [];
    const gc = new GroupCommit<string, string>('spec', async (key, batch) => {
      running++;
      peak = Math.max(peak, running);
      await tick();
      for (const w of batch) {
        seen.push(`${key}:${w.item}`);
        w.resolve(key);
      }
      running--;
    }, { inFlight: 2, maxBatch: 1 });
    const out = await Promise.all([gc.submit('a', '1'), gc.submit('b', '1'), gc.submit('a', '2'), gc.submit('a', '3')]);
    expect(out).toEqual(['a', 'b', 'a', 'a']);
    expect(peak).toBe(3); // two of `a`, one of `b`
    expect(seen.sort()).toEqual(['a:1', 'a:2', 'a:3', 'b:1']);
  });

  it('a failing batch is served again caller by caller: only the failing caller gets the error', async () => {
    const gc = new GroupCommit<number, number>('spec', async (_key, batch) => {
      if (batch.some((w) => w.item === 13)) throw new Error(`batch with 13 (${batch.length})`);
      for (const w of batch) w.resolve(w.item);
    }, { inFlight: 1, maxBatch: 10 });
    const first = gc.submit('k', 0);
    const rest = [12, 13, 14].map((i) => gc.submit('k', i).then((v) => ({ v }), (e: Error) => ({ e: e.message })));
    expect(await first).toBe(0);
    expect(await Promise.all(rest)).toEqual([{ v: 12 }, { e: 'batch with 13 (1)' }, { v: 14 }]);
  });

  it('requeued callers go to the head of the next batch; callers left unsettled are rejected, never hung', async () => {
    let calls = 0;
    let gc!: GroupCommit<string, string>;
    gc = new GroupCommit<string, string>('spec', async (key, batch) => {
      calls++;
      const [head, ...others] = batch as Array<Waiter<string, string>>;
      if (head!.item === 'later' && calls === 1) {
        gc.requeue(key, [head!]);
        for (const w of others) w.resolve(`${w.item}@${calls}`);
        return;
      }
      if (head!.item === 'forgotten') return;
      for (const w of batch) w.resolve(`${w.item}@${calls}`);
    }, { inFlight: 1, maxBatch: 5 });
    const a = gc.submit('k', 'later');
    const b = gc.submit('k', 'now');
    expect(await a).toBe('later@2');
    expect(await b).toBe('now@2');
    await expect(gc.submit('k', 'forgotten')).rejects.toThrow('left unsettled');
  });

  it('a caller requeued many times settles through one call, not a chain of one wrapper per requeue', async () => {
    let calls = 0;
    let gc!: GroupCommit<string, string>;
    gc = new GroupCommit<string, string>('spec-requeued', async (key, batch) => {
      calls++;
      if (calls < 20_000) { gc.requeue(key, batch as Array<Waiter<string, string>>); return; }
      for (const w of batch) w.reject(new Error(`given up after ${calls}`));
    }, { inFlight: 1, maxBatch: 5 });
    await expect(gc.submit('k', 'patient')).rejects.toThrow('given up after 20000');
  });

  it('counts batches and callers per name', async () => {
    const gc = new GroupCommit<number, number>('spec-counted', async (_key, batch) => { for (const w of batch) w.resolve(w.item); }, { inFlight: 1, maxBatch: 10 });
    await Promise.all([1, 2, 3].map((i) => gc.submit('k', i)));
    expect(GroupCommit.stats().get('spec-counted')).toEqual({ batches: 2, callers: 3 });
  });
});
