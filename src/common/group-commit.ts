/**
 * Group commit: callers of the same queue (a key) are served in batches. While `inFlight` batches of a key
 * are running, new callers wait; the next batch takes all of them (at most `maxBatch`). Used where every
 * caller would otherwise pay a transaction of its own for a few rows (claim-next, filing): one transaction,
 * one commit and one pass over a hot row (a gapless counter) then serve a whole batch.
 *
 * `run` serves a batch and settles every caller in it, or throws; when a batch of several throws, its
 * callers are served again one by one, so one caller's error is never another's. A caller `run` leaves
 * unsettled is a bug: it is rejected.
 */
export interface Waiter<I, R> {
  item: I;
  resolve: (result: R) => void;
  reject: (err: unknown) => void;
}

export class GroupCommit<I, R> {
  /** Batches and callers served so far, per name, for the `/metrics` endpoint (whole process). */
  private static readonly counts = new Map<string, { batches: number; callers: number }>();
  static stats(): ReadonlyMap<string, { batches: number; callers: number }> {
    return GroupCommit.counts;
  }

  private readonly queues = new Map<string, { waiting: Array<Waiter<I, R>>; inFlight: number }>();
  private readonly count: { batches: number; callers: number };

  constructor(
    name: string,
    private readonly run: (key: string, batch: ReadonlyArray<Waiter<I, R>>) => Promise<void>,
    private readonly options: { inFlight: number; maxBatch: number },
  ) {
    let count = GroupCommit.counts.get(name);
    if (!count) {
      count = { batches: 0, callers: 0 };
      GroupCommit.counts.set(name, count);
    }
    this.count = count;
  }

  /** Queues a caller under `key`; settles with its result. */
  submit(key: string, item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.enqueue(key, [{ item, resolve, reject }], false);
    });
  }

  /** Puts callers of a batch back at the head of their queue (served by the next batch), e.g. when the batch had nothing for them yet. */
  requeue(key: string, waiters: ReadonlyArray<Waiter<I, R>>): void {
    for (const w of waiters) if ('requeued' in w) (w as Tracked<I, R>).requeued = true;
    this.enqueue(key, waiters, true);
  }

  private enqueue(key: string, waiters: ReadonlyArray<Waiter<I, R>>, front: boolean): void {
    let q = this.queues.get(key);
    if (!q) {
      q = { waiting: [], inFlight: 0 };
      this.queues.set(key, q);
    }
    if (front) q.waiting.unshift(...waiters);
    else q.waiting.push(...waiters);
    this.pump(key);
  }

  private pump(key: string): void {
    const q = this.queues.get(key);
    if (!q) return;
    while (q.inFlight < this.options.inFlight && q.waiting.length > 0) {
      const batch = q.waiting.splice(0, this.options.maxBatch);
      q.inFlight++;
      this.count.batches++;
      this.count.callers += batch.length;
      void this.serve(key, batch).finally(() => {
        q.inFlight--;
        if (q.waiting.length > 0) this.pump(key);
        else if (q.inFlight === 0) this.queues.delete(key);
      });
    }
  }

  private async serve(key: string, batch: Array<Waiter<I, R>>): Promise<void> {
    const tracked = batch.map((w) => track(w));
    try {
      await this.run(key, tracked);
    } catch (err) {
      if (tracked.length === 1) {
        tracked[0]!.reject(err);
        return;
      }
      for (const w of tracked) {
        if (w.settled()) continue;
        const alone = track(w);
        try {
          await this.run(key, [alone]);
        } catch (e) {
          alone.reject(e);
        }
        if (!alone.settled() && !alone.requeued) alone.reject(new Error('group commit: caller left unsettled'));
      }
      return;
    }
    for (const w of tracked) if (!w.settled() && !w.requeued) w.reject(new Error('group commit: caller left unsettled'));
  }
}

/** A waiter that knows whether it has been settled or handed back to the queue. */
interface Tracked<I, R> extends Waiter<I, R> {
  settled(): boolean;
  requeued: boolean;
  /** The caller's own waiter: a requeued waiter is tracked anew around it, not around the previous tracker. */
  origin: Waiter<I, R>;
}

function track<I, R>(w: Waiter<I, R>): Tracked<I, R> {
  // However often a caller is requeued, settling it is one call deep (wrapping each tracker in the next one made a
  // chain as long as the requeues, which a long wait could overflow).
  const origin = 'origin' in w ? (w as Tracked<I, R>).origin : w;
  let done = false;
  const t: Tracked<I, R> = {
    item: w.item,
    resolve: (r) => { if (!done) { done = true; origin.resolve(r); } },
    reject: (e) => { if (!done) { done = true; origin.reject(e); } },
    settled: () => done,
    requeued: false,
    origin,
  };
  return t;
}
