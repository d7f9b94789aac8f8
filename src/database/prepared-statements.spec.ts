import { prepared, statementName } from './prepared-statements';

describe('prepared statements', () => {
  it('names a marked statement by its mark and a digest of its text; an unmarked one gets no name', () => {
    const a = statementName(prepared('tickets.lock', 'SELECT 1 WHERE $1::int = 1'));
    const b = statementName(prepared('tickets.lock', 'SELECT 2 WHERE $1::int = 1'));
    expect(a).toMatch(/^tickets\.lock\.[0-9a-f]{12}$/);
    expect(b).toMatch(/^tickets\.lock\.[0-9a-f]{12}$/);
    expect(a).not.toBe(b);
    expect(statementName(prepared('tickets.lock', 'SELECT 1 WHERE $1::int = 1'))).toBe(a);
    expect(statementName('SELECT 1 WHERE $1::int = 1')).toBeNull();
    expect(statementName('/*prepared:bad name*/ SELECT 1')).toBeNull();
  });

  it('keeps names within a Postgres identifier (63 bytes)', () => {
    expect(statementName(prepared('x'.repeat(40), 'SELECT 1'))!.length).toBeLessThanOrEqual(63);
  });
});
