import type { DataSource } from 'typeorm';

export const DEMO_MANHOLE_RULE = '电务社区井盖直派市政设施服务中心';

/**
 * The demo routing rule (派单目录): manhole covers (0101–0114) in 电务社区 go straight to 阜新市市政设施服务中心,
 * registered and dispatched automatically — the "fixed in half a day" story. Runs once: a rule of that name
 * that already exists (perhaps edited by a dispatcher) is left alone.
 */
export async function seedDemoDispatch(ds: DataSource): Promise<{ seeded: boolean }> {
  const codes = Array.from({ length: 14 }, (_, i) => `01${String(i + 1).padStart(2, '0')}`);
  const rows: unknown[] = await ds.query(
    `INSERT INTO dispatch_rules (name, platform, category_codes, grid_node_id, unit_id, position, auto_register, auto_dispatch)
     SELECT $1, 'community_governance', $2::text[], g.id, u.id, 10, true, true
       FROM grid_nodes g, units u
      WHERE g.code = '210902001001' AND u.code = 'FX-SZSS'
        AND NOT EXISTS (SELECT 1 FROM dispatch_rules WHERE name = $1)
     RETURNING id`, [DEMO_MANHOLE_RULE, codes]);
  return { seeded: rows.length > 0 };
}
