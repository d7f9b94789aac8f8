import { createHash } from 'node:crypto';
import { Client } from 'pg';

/**
 * Prepared statements for the hot paths (filing, routing, claim, SLA firing, outbox relay).
 *
 * node-postgres sends every parameterised query as an unnamed statement, which Postgres parses and plans on
 * every call. For the large CTE statements of the hot paths planning costs more CPU than executing (measured
 * with pg_stat_statements.track_planning in bench:dispatch: 13 of 33 s). A statement marked with `prepared()`
 * is instead prepared once per connection under a name and then only bound and executed; after five runs
 * Postgres keeps a generic plan when it is no worse than the custom ones.
 *
 * Only marked statements are prepared, so the number of statements a connection holds stays bounded (a
 * dynamic statement text gets one name per distinct text: keep marked texts to a handful of shapes).
 */
const MARK = /^\/\*prepared:([A-Za-z0-9_.-]{1,40})\*\//;

/** Marks `sql` as a hot statement to prepare once per connection (see the module comment). */
export function prepared(name: string, sql: string): string {
  return `/*prepared:${name}*/ ${sql}`;
}

/** Statement name of a marked text: its mark and a digest of the text, so two texts never share a name. */
const names = new Map<string, string | null>();
export function statementName(text: string): string | null {
  let name = names.get(text);
  if (name === undefined) {
    const mark = MARK.exec(text);
    name = mark ? `${mark[1]}.${createHash('sha1').update(text).digest('hex').slice(0, 12)}` : null;
    if (names.size > 10_000) names.clear(); // unmarked texts are remembered too; never grow without bound
    names.set(text, name);
  }
  return name;
}

/** Postgres refusing a prepared statement whose `SELECT *` / `RETURNING *` columns changed since it was prepared. */
function isStalePlan(err: unknown): boolean {
  return (err as { code?: string } | null)?.code === '0A000' && /cached plan must not change result type/.test((err as Error).message);
}

/**
 * The pg client the pool creates (pool option `Client`): runs marked statements as named prepared statements.
 * A migration that adds a column to a table read with `*` (another process migrating during a rolling
 * deploy) makes Postgres refuse this connection's prepared statements of that table: the statement that hit it
 * fails once, and the connection then prepares its statements afresh under new names (`….g1`), so it
 * recovers by itself instead of failing until the process restarts.
 */
export class PreparingClient extends Client {
  private generation = 0;

  override query(config: any, values?: any, callback?: any): any {
    if (typeof config === 'string' && Array.isArray(values)) {
      const base = statementName(config);
      if (base) {
        const name = this.generation === 0 ? base : `${base}.g${this.generation}`;
        const generation = this.generation;
        const onError = (err: unknown) => {
          if (isStalePlan(err) && this.generation === generation) this.generation++;
        };
        if (typeof callback === 'function') {
          return super.query({ name, text: config, values }, (err: Error | null, res: unknown) => {
            if (err) onError(err);
            (callback as (e: Error | null, r: unknown) => void)(err, res);
          });
        }
        return (super.query({ name, text: config, values }) as Promise<unknown>).catch((err: unknown) => {
          onError(err);
          throw err;
        });
      }
    }
    return super.query(config, values, callback);
  }
}
