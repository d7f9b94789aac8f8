import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { GroupCommit } from '../../common/group-commit';
import { QueueService } from '../../queue/queue.service';
import { RollupService } from '../reports/rollup.service';

/**
 * Prometheus metrics: HTTP latency, queue depth and the report fold's quarantine (read at scrape time), group-commit
 * batches, and process defaults.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly authFailures = new Counter({
    name: 'auth_failures_total', help: 'Failed authentications', registers: [this.registry],
  });
  /** State-changing requests whose audit entry could not be written (after one retry): alert on any. */
  readonly auditWriteFailures = new Counter({
    name: 'audit_write_failures_total', help: 'State-changing requests whose audit entry could not be written', registers: [this.registry],
  });

  constructor(queues: QueueService, rollups: RollupService) {
    collectDefaultMetrics({ register: this.registry });
    // Claim-next and filing batches (group commit): callers / batches is the mean batch size.
    for (const [metric, field, help] of [
      ['group_commit_batches_total', 'batches', 'Transactions that served a batch of claim-next or filing callers'],
      ['group_commit_callers_total', 'callers', 'Callers served by group-commit batches'],
    ] as const) {
      new Counter({
        name: metric, help, labelNames: ['batcher'] as const, registers: [this.registry],
        collect() {
          this.reset();
          for (const [batcher, c] of GroupCommit.stats()) this.inc({ batcher }, c[field]);
        },
      });
    }
    new Gauge({
      name: 'queue_jobs',
      help: 'Jobs per queue and state',
      labelNames: ['queue', 'state'] as const,
      registers: [this.registry],
      async collect() {
        try {
          const depth = await queues.depth();
          for (const [queue, counts] of Object.entries(depth)) {
            for (const [state, n] of Object.entries(counts)) this.set({ queue, state }, n);
          }
        } catch {
          // a scrape must not fail because a queue backend is briefly away; readiness reports that
        }
      },
    });
    // Poison tickets of the report fold (docs/reports.md). The fold runs in the worker, which serves no metrics, so
    // the count is kept in the database (`report_cursor.quarantined`, in the fold's transaction) and read here: every
    // API process reports the same city-wide value (aggregate with max, not sum). A failed read keeps the last value.
    new Counter({
      name: 'report_fold_quarantined_total',
      help: 'Tickets quarantined from the report fold (each failed attempt counts; stored in the database, city-wide)',
      registers: [this.registry],
      async collect() {
        try {
          const { total } = await rollups.quarantineStats();
          this.reset();
          this.inc(total);
        } catch {
          // the database briefly away: keep the last value rather than fall to 0 (which would read as a reset)
        }
      },
    });
    new Gauge({
      name: 'report_fold_quarantine_tickets',
      help: 'Tickets in the report fold quarantine now (their latest changes are missing from the reports)',
      registers: [this.registry],
      async collect() {
        try {
          this.set((await rollups.quarantineStats()).current);
        } catch {
          // as above
        }
      },
    });
  }
}
