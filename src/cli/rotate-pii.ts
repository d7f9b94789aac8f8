import { FieldCipher } from '../common/field-cipher';
import { createLogger } from '../common/logger';
import { loadConfig } from '../config/app-config';
import { resolveRuntime } from '../bootstrap';
import { createDataSource } from '../database/data-source';
import { rotatePersonalData } from './pii-rotation';

/**
 * Re-encrypts personal data written with an older key under the current PII_KEY (docs/operations.md):
 *   PII_KEY=<new> PII_PREVIOUS_KEYS=<old> node dist/src/cli/rotate-pii.js [--dry-run] [--batch 1000]
 * Prints progress and a summary by column (counts only, never values), and records the run in the audit log.
 */
async function main(): Promise<string> {
  const argv = process.argv.slice(2);
  const unknown = argv.filter((a, i) => a !== '--dry-run' && a !== '--batch' && argv[i - 1] !== '--batch');
  if (unknown.length > 0) throw new Error(`unknown arguments 未知参数: ${unknown.join(' ')} (usage: rotate-pii [--dry-run] [--batch N])`);
  const b = argv.indexOf('--batch');
  const batch = b >= 0 ? Number(argv[b + 1]) : 1000;
  if (!Number.isInteger(batch) || batch < 1 || batch > 100_000) throw new Error('--batch must be a whole number from 1 to 100000 / --batch 须为 1–100000 的整数');
  const dryRun = argv.includes('--dry-run');
  const config = loadConfig();
  const runtime = await resolveRuntime(config, createLogger('warn'));
  const ds = await createDataSource(runtime.databaseUrl, 2).initialize();
  try {
    const cipher = new FieldCipher(config.piiKey, config.piiPreviousKeys);
    const report = await rotatePersonalData(ds, cipher, { batch, dryRun, onProgress: (line) => process.stderr.write(`${line}\n`) });
    if (!dryRun) {
      await ds.query(
        `INSERT INTO audit_log (actor_username, actor_role, action, target, result, details) VALUES ('cli', 'system', 'cli.pii_rotate', $1, 'success', $2::jsonb)`,
        [cipher.currentKeyId, JSON.stringify(report)]);
    }
    return JSON.stringify({ dryRun, currentKeyId: cipher.currentKeyId, ...report });
  } finally {
    await ds.destroy();
    await runtime.embedded?.stop();
  }
}

main().then(
  (summary) => { process.stdout.write(`${summary}\n`); },
  (err: Error) => { process.stderr.write(`${err.message}\n`); process.exit(1); },
);
