import { createLogger } from '../common/logger';
import { loadConfig } from '../config/app-config';
import { resolveRuntime } from '../bootstrap';
import { createDataSource } from '../database/data-source';
import { hashPassword, passwordProblems } from '../modules/auth/password.service';
import { CliError, createAccount, parseArgs } from './create-account';

/**
 * First-run set-up for a real deployment (production creates no accounts by itself), and auditor accounts:
 *   ADMIN_PASSWORD=... node dist/src/cli/create-admin.js [--role admin|auditor] <username> <rootCode> <rootName>
 * creates an admin (default; the root grid node too, when no node has that code) or an auditor, scoped to
 * that node.
 */
async function main(): Promise<string> {
  const args = parseArgs(process.argv.slice(2));
  const password = process.env.ADMIN_PASSWORD ?? '';
  const problems = passwordProblems(password, args.username);
  if (problems.length) throw new CliError(`ADMIN_PASSWORD: ${problems.join('; ')}`);
  const config = loadConfig();
  const runtime = await resolveRuntime(config, createLogger('warn'));
  const ds = await createDataSource(runtime.databaseUrl, 2).initialize();
  try {
    const h = await hashPassword(password);
    const { message } = await ds.transaction((m) => createAccount(m, args, h));
    return message;
  } finally {
    await ds.destroy();
    await runtime.embedded?.stop();
  }
}

main().then(
  (message) => { process.stdout.write(`${message}\n`); },
  (err: Error) => { process.stderr.write(`${err.message}\n`); process.exit(1); },
);
