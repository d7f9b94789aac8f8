/**
 * The create-admin CLI's logic, apart from its entry point (create-admin.ts) so that it is tested without a
 * process or a database: argument parsing and the account's SQL.
 */

/** The roles this CLI creates: the first admin, and auditors (审计员), which the API refuses to create (三员分立). */
export const CLI_ROLES = ['admin', 'auditor'] as const;
export type CliRole = (typeof CLI_ROLES)[number];

export const USAGE = 'usage / 用法: create-admin [--role admin|auditor] <username> <rootCode> <rootName> (ADMIN_PASSWORD in the environment / 密码放在环境变量 ADMIN_PASSWORD 中)';

export interface CreateAccountArgs {
  role: CliRole;
  /** Lower-cased. */
  username: string;
  /** Code of the grid node the account is scoped to (the root, for the first admin). */
  rootCode: string;
  /** Name of that node: used only when an admin's root node does not exist yet and is created. */
  rootName: string | undefined;
}

/** A refusal of the command line or of the account, with English and Chinese text (exit code 1, no stack). */
export class CliError extends Error {}

const USERNAME = /^[a-z0-9][a-z0-9._-]{2,39}$/;
const NODE_CODE = /^[0-9A-Za-z_]{1,40}$/;

/** Parses `[--role admin|auditor] <username> <rootCode> <rootName>` (`--role=auditor` too; the name is optional for an auditor). */
export function parseArgs(argv: readonly string[]): CreateAccountArgs {
  let role: string = 'admin';
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--role' || a.startsWith('--role=')) {
      const value = a === '--role' ? argv[++i] : a.slice('--role='.length);
      if (value === undefined || value === '') throw new CliError(`--role needs a value: admin or auditor / --role 需要取值：admin 或 auditor\n${USAGE}`);
      role = value;
    } else if (a.startsWith('--')) {
      throw new CliError(`unknown option ${a} / 未知选项 ${a}\n${USAGE}`);
    } else {
      positional.push(a);
    }
  }
  if (!(CLI_ROLES as readonly string[]).includes(role)) {
    throw new CliError(`--role must be admin or auditor (got "${role}"); other roles are created by an admin through the API / --role 只能是 admin 或 auditor（收到 "${role}"）；其他角色由管理员通过 API 创建`);
  }
  const [username, rootCode, rootName, ...extra] = positional;
  const nameRequired = role === 'admin';
  if (!username || !rootCode || (nameRequired && !rootName) || extra.length > 0) throw new CliError(USAGE);
  const lower = username.toLowerCase();
  if (!USERNAME.test(lower)) {
    throw new CliError(`username must be 3-40 of a-z 0-9 . _ - starting with a letter or digit / 用户名须为 3-40 位小写字母、数字或 . _ -，以字母或数字开头`);
  }
  if (!NODE_CODE.test(rootCode)) throw new CliError(`rootCode must be a grid node code (letters, digits, _) / rootCode 须为网格编码（字母、数字、下划线）`);
  return { role: role as CliRole, username: lower, rootCode, rootName };
}

/** What the CLI needs of a database: plain parameterised queries (a TypeORM DataSource, or a fake in tests). */
export interface Queryable {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

/**
 * Creates the account. An admin's node is created as a root (level `city`) when no node has that code; an
 * auditor's node must exist already (an auditor is added to a running installation, never to an empty one).
 * The creation is written to the audit log as `cli.create_account` (no actor: it is the operator's command).
 */
export async function createAccount(db: Queryable, args: CreateAccountArgs, passwordHash: string): Promise<{ id: string; message: string }> {
  if (args.role === 'admin') {
    await db.query(`INSERT INTO grid_nodes (code, name, level, depth, path) VALUES ($1, $2, 'city', 0, text2ltree($1)) ON CONFLICT (code) DO NOTHING`, [args.rootCode, args.rootName]);
  }
  const nodes = (await db.query(`SELECT id, name FROM grid_nodes WHERE code = $1`, [args.rootCode])) as Array<{ id: string; name: string }>;
  const node = nodes[0];
  if (!node) throw new CliError(`grid node ${args.rootCode} does not exist; create the first admin and the grid first / 网格节点 ${args.rootCode} 不存在，请先创建首个管理员和网格`);
  const taken = (await db.query(`SELECT 1 FROM users WHERE username = $1`, [args.username])) as unknown[];
  if (taken.length > 0) throw new CliError(`user ${args.username} already exists / 用户 ${args.username} 已存在`);
  const rows = (await db.query(
    `INSERT INTO users (username, display_name, role, scope_node_id, password_hash) VALUES ($1, $1, $2, $3, $4) RETURNING id`,
    [args.username, args.role, node.id, passwordHash])) as Array<{ id: string }>;
  const id = rows[0]!.id;
  await db.query(
    `INSERT INTO audit_log (action, target, result, details) VALUES ('cli.create_account', $1, 'success', $2::jsonb)`,
    [id, JSON.stringify({ username: args.username, role: args.role, scope: args.rootCode })]);
  return { id, message: `${args.role} ${args.username} created with scope ${args.rootCode} ${node.name}` };
}
