import { CliError, createAccount, parseArgs, type Queryable } from './create-account';

const refusal = (argv: string[]): string => {
  try {
    parseArgs(argv);
  } catch (err) {
    expect(err).toBeInstanceOf(CliError);
    return (err as Error).message;
  }
  throw new Error(`accepted: ${argv.join(' ')}`);
};

describe('create-admin arguments', () => {
  it('creates an admin by default, with the old three arguments', () => {
    expect(parseArgs(['City.Admin', '210900', '阜新市'])).toEqual({ role: 'admin', username: 'city.admin', rootCode: '210900', rootName: '阜新市' });
    expect(parseArgs(['--role', 'admin', 'city.admin', '210900', '阜新市']).role).toBe('admin');
  });

  it('takes --role auditor before or after the arguments, with or without =; the node name is optional for an auditor', () => {
    const auditor = { role: 'auditor', username: 'audit.wang', rootCode: '210900' };
    expect(parseArgs(['--role', 'auditor', 'audit.wang', '210900', '阜新市'])).toEqual({ ...auditor, rootName: '阜新市' });
    expect(parseArgs(['audit.wang', '210900', '--role=auditor'])).toEqual({ ...auditor, rootName: undefined });
  });

  it('refuses any other role, in English and Chinese', () => {
    for (const role of ['dispatcher', 'grid_worker', 'Admin', 'root']) {
      const message = refusal(['--role', role, 'x.user', '210900', '阜新市']);
      expect(message).toContain(`--role must be admin or auditor (got "${role}")`);
      expect(message).toContain('--role 只能是 admin 或 auditor');
    }
    expect(refusal(['x.user', '210900', '阜新市', '--role'])).toContain('--role 需要取值');
    expect(refusal(['--role=', 'x.user', '210900', '阜新市'])).toContain('--role needs a value');
  });

  it('refuses missing or extra arguments, unknown options and bad names with the usage', () => {
    expect(refusal(['city.admin', '210900'])).toContain('usage / 用法');
    expect(refusal(['--role', 'auditor', 'audit.wang'])).toContain('usage / 用法');
    expect(refusal(['city.admin', '210900', '阜新市', 'extra'])).toContain('usage / 用法');
    expect(refusal(['--force', 'city.admin', '210900', '阜新市'])).toContain('unknown option --force / 未知选项 --force');
    expect(refusal(['a!', '210900', '阜新市'])).toContain('用户名');
    expect(refusal(['city.admin', '210900; DROP', '阜新市'])).toContain('rootCode');
  });
});

/** A database that answers the CLI's queries from a few in-memory rows and records every statement. */
function fakeDb(nodes: Record<string, { id: string; name: string }>, users: string[] = []): Queryable & { statements: Array<{ sql: string; params: unknown[] }> } {
  const statements: Array<{ sql: string; params: unknown[] }> = [];
  return {
    statements,
    async query(sql: string, params: unknown[] = []) {
      statements.push({ sql, params });
      if (sql.startsWith('INSERT INTO grid_nodes')) {
        nodes[params[0] as string] ??= { id: 'node-new', name: params[1] as string };
        return [];
      }
      if (sql.startsWith('SELECT id, name FROM grid_nodes')) return nodes[params[0] as string] ? [nodes[params[0] as string]] : [];
      if (sql.startsWith('SELECT 1 FROM users')) return users.includes(params[0] as string) ? [{ '?column?': 1 }] : [];
      if (sql.startsWith('INSERT INTO users')) return [{ id: 'user-1' }];
      if (sql.startsWith('INSERT INTO audit_log')) return [];
      throw new Error(`unexpected SQL: ${sql}`);
    },
  };
}

describe('create-admin account', () => {
  it('an auditor is created with the role auditor in an existing node, no node is created, and it is audited', async () => {
    const db = fakeDb({ '210900': { id: 'root', name: '阜新市' } });
    const done = await createAccount(db, parseArgs(['--role', 'auditor', 'audit.wang', '210900']), 'HASH');
    expect(done).toEqual({ id: 'user-1', message: 'auditor audit.wang created with scope 210900 阜新市' });
    expect(db.statements.some((s) => s.sql.startsWith('INSERT INTO grid_nodes'))).toBe(false);
    const insert = db.statements.find((s) => s.sql.startsWith('INSERT INTO users'))!;
    expect(insert.params).toEqual(['audit.wang', 'auditor', 'root', 'HASH']);
    const audit = db.statements.find((s) => s.sql.startsWith('INSERT INTO audit_log'))!;
    expect(audit.params[0]).toBe('user-1');
    expect(JSON.parse(audit.params[1] as string)).toEqual({ username: 'audit.wang', role: 'auditor', scope: '210900' });
  });

  it('an auditor needs an existing node', async () => {
    const db = fakeDb({});
    await expect(createAccount(db, parseArgs(['--role', 'auditor', 'audit.wang', '210900', '阜新市']), 'HASH'))
      .rejects.toThrow('grid node 210900 does not exist; create the first admin and the grid first / 网格节点 210900 不存在');
    expect(db.statements.some((s) => s.sql.startsWith('INSERT'))).toBe(false);
  });

  it('an admin creates the root node when missing; a taken username is refused', async () => {
    const db = fakeDb({});
    const done = await createAccount(db, parseArgs(['city.admin', '210900', '阜新市']), 'HASH');
    expect(done.message).toBe('admin city.admin created with scope 210900 阜新市');
    expect(db.statements.find((s) => s.sql.startsWith('INSERT INTO users'))!.params).toEqual(['city.admin', 'admin', 'node-new', 'HASH']);
    const taken = fakeDb({ '210900': { id: 'root', name: '阜新市' } }, ['audit.wang']);
    await expect(createAccount(taken, parseArgs(['--role', 'auditor', 'audit.wang', '210900']), 'HASH')).rejects.toThrow('user audit.wang already exists / 用户 audit.wang 已存在');
  });
});
