import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { migrations } from './migrations';
import { PreparingClient } from './prepared-statements';

/** Options shared by the app, the tests and the TypeORM CLI. Never `synchronize`: reviewed migrations only. */
export function createDataSource(url: string, poolSize = 10): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    migrations,
    migrationsTableName: 'typeorm_migrations',
    migrationsTransactionMode: 'all',
    synchronize: false,
    logging: false,
    extra: { max: poolSize, application_name: 'fuxin-grid-cases', Client: PreparingClient },
  });
}

/** Runs pending migrations under an advisory lock, so API and worker starting together migrate once. The lock holds one pooled connection and the migrations take another: the pool needs at least two. */
export async function runMigrations(ds: DataSource): Promise<void> {
  const lockKey = 764230400;
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [lockKey]);
    await ds.runMigrations({ transaction: 'all' });
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [lockKey]).catch(() => undefined);
    await runner.release();
  }
}

