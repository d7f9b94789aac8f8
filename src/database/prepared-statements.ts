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

/** The pg client the pool creates (pool option `Client`): runs marked statements as named prepared statements. */
export class PreparingClient extends Client {
  override query(config: any, values?: any, callback?: any): any {
    if (typeof config === 'string' && Array.isArray(values)) {
      const name = statementName(config);
      if (name) return super.query({ name, text: config, values }, callback);
    }
    return super.query(config, values, callback);
  }
}
