import { createLogger } from '../common/logger';
import { loadConfig } from '../config/app-config';
import { resolveRuntime } from '../bootstrap';
import { createDataSource } from '../database/data-source';
import { hashPassword, passwordProblems } from '../modules/auth/password.service';

/**
 * First-run set-up for a real deployment (production creates no accounts by itself):
 *   ADMIN_PASSWORD=... node dist/src/cli/create-admin.js <username> <rootCode> <rootName>
 * creates the root grid node (when no node has that code) and an admin scoped to it.
 */
async function main(): Promise<void> {
  const [username, rootCode, rootName] = process.argv.slice(2);
  const password = process.env.ADMIN_PASSWORD ?? '';
  if (!username || !rootCode || !rootName) throw new Error('usage: create-admin <username> <rootCode> <rootName> (ADMIN_PASSWORD in the environment)');
  const problems = passwordProblems(password, username);
  if (problems.length) throw new Error(`ADMIN_PASSWORD: ${problems.join('; ')}`);
  const config = loadConfig();
  const runtime = await resolveRuntime(config, createLogger('warn'));
  const ds = await createDataSource(runtime.databaseUrl, 2).initialize();
  try {
    await ds.query(`INSERT INTO grid_nodes (code, name, level, depth, path) VALUES ($1, $2, 'city', 0, text2ltree($1)) ON CONFLICT (code) DO NOTHING`, [rootCode, rootName]);
    const h = await hashPassword(password);
    const taken: unknown[] = await ds.query(`SELECT 1 FROM users WHERE username = $1`, [username.toLowerCase()]);
    if (taken.length > 0) throw new Error(`user ${username} already exists`);
    await ds.query(`INSERT INTO users (username, display_name, role, scope_node_id, password_hash)
      SELECT $1, $1, 'admin', id, $3 FROM grid_nodes WHERE code = $2`, [username.toLowerCase(), rootCode, h]);
    process.stdout.write(`admin ${username} created with scope ${rootCode} ${rootName}\n`);
  } finally {
    await ds.destroy();
    await runtime.embedded?.stop();
  }
}

main().catch((err: Error) => { process.stderr.write(`${err.message}\n`); process.exit(1); });
