import { rmSync } from 'node:fs';
import type { EmbeddedPostgresHandle } from '../../src/database/embedded-postgres';

export default async function globalTeardown(): Promise<void> {
  const pg = (globalThis as Record<string, unknown>).__FX_PG__ as { handle: EmbeddedPostgresHandle; dir: string } | undefined;
  if (!pg) return;
  await pg.handle.stop();
  rmSync(pg.dir, { recursive: true, force: true });
}
