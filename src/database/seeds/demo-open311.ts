import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';

/** The demo Open311 API key (SPEC §13). It exists only in demo mode and tests; a production start creates none. */
export const DEMO_OPEN311_KEY = 'demo-open311-key';

/**
 * Seeds the demo Open311 API key, scoped to the whole demo city (阜新市, 210900), 120 requests per minute.
 * Idempotent: the key is inserted once (its hash is unique). Needs the demo city seeded first.
 */
export async function seedDemoOpen311(ds: DataSource): Promise<{ created: boolean }> {
  const hash = createHash('sha256').update(DEMO_OPEN311_KEY, 'utf8').digest('hex');
  const rows: unknown[] = await ds.query(
    `INSERT INTO open311_api_keys (key_hash, key_prefix, name, jurisdiction_node_id, rate_limit_per_minute, is_demo)
     SELECT $1, 'demo-open', '演示客户端 Demo client', g.id, 120, true FROM grid_nodes g WHERE g.code = '210900'
     ON CONFLICT (key_hash) DO NOTHING RETURNING id`, [hash]);
  return { created: rows.length > 0 };
}
