import { assignClaims } from './queues.service';

const caller = (id: string) => ({ p: { id } });
const ticket = (id: string, handler: string | null = null) => ({ id, handler_id: handler });

describe('assignClaims: one locked candidate per caller of a claim batch', () => {
  it('gives the most urgent candidates to the callers in the order they came', () => {
    const [a, b, c] = [caller('a'), caller('b'), caller('c')];
    const pairs = assignClaims([a, b, c], [ticket('t1'), ticket('t2'), ticket('t3')]);
    expect(pairs.map(([w, t]) => [w.p.id, t.id])).toEqual([['a', 't1'], ['b', 't2'], ['c', 't3']]);
  });

  it('a ticket auto-assigned to a caller goes to that caller; the others take the rest in order', () => {
    const [a, b, c] = [caller('a'), caller('b'), caller('c')];
    const pairs = assignClaims([a, b, c], [ticket('t1'), ticket('t2', 'c'), ticket('t3')]);
    expect(new Map(pairs.map(([w, t]) => [w.p.id, t.id]))).toEqual(new Map([['c', 't2'], ['a', 't1'], ['b', 't3']]));
  });

  it("never gives a caller two tickets, nor another caller's; a ticket whose assignee is not calling (off duty: only then is it a candidate) goes to a free caller", () => {
    const [a, b] = [caller('a'), caller('b')];
    const pairs = assignClaims([a, b], [ticket('t1', 'a'), ticket('t2', 'a'), ticket('t3', 'z')]);
    expect(pairs.map(([w, t]) => [w.p.id, t.id])).toEqual([['a', 't1'], ['b', 't3']]);
    // a's second ticket stays a's, even with a free caller.
    expect(assignClaims([a, b], [ticket('t1', 'a'), ticket('t2', 'a')]).map(([w, t]) => [w.p.id, t.id])).toEqual([['a', 't1']]);
  });

  it('two requests of one caller in a batch are two claims', () => {
    const a = caller('a');
    const a2 = caller('a');
    const pairs = assignClaims([a, a2], [ticket('t1'), ticket('t2')]);
    expect(pairs).toHaveLength(2);
    expect(pairs[0]![0]).toBe(a);
    expect(pairs[1]![0]).toBe(a2);
  });

  it('fewer candidates than callers: the first callers are served', () => {
    expect(assignClaims([caller('a'), caller('b')], [ticket('t1')]).map(([w]) => w.p.id)).toEqual(['a']);
    expect(assignClaims([caller('a')], [])).toEqual([]);
  });
});
