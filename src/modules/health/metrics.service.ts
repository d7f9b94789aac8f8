import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { GroupCommit } from '../../common/group-commit';
import { QueueService } from '../../queue/queue.service';
import { QueueEventsService } from '../dispatch/queue-events.service';
import { ReportsService } from '../reports/reports.service';
import { RollupService } from '../reports/rollup.service';
import { OpsStatsRepository, RECENT_FIRINGS_MINUTES, type OpsStats } from './ops-stats.repository';

const FIRING_KINDS = ['remind', 'warning', 'breach', 'supervise', 'notice'] as const;
const CLOCK_STAGES = ['register', 'sign', 'resolve', 'verify', 'callback', 'mediation'] as const;

/**
 * Prometheus metrics: HTTP latency, queue depth, SLA timer lag, firings and breaches, the outbox, the report fold's
 * staleness and quarantine (read at scrape time from the database, since the worker serves no metrics), group-commit
 * batches, and process defaults. docs/operations.md lists them.
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

  constructor(queues: QueueService, rollups: RollupService, ops: OpsStatsRepository, streams: QueueEventsService, reports: ReportsService) {
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'queue_stream_subscribers',
      help: 'Live queue streams (server-sent events) open in this API process',
      registers: [this.registry],
      collect() {
        this.set(streams.subscriberCount);
      },
    });
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
    // What the worker does, read from the database at scrape time. A failed read leaves a gauge at its last value
    // (readiness reports the database). The ops gauges share one statement per scrape (`OpsStatsRepository.read`).
    const dbGauge = <T>(name: string, help: string, read: () => Promise<T>, set: (g: Gauge, v: T) => void, labelNames: string[] = []): void => {
      new Gauge({
        name, help, labelNames, registers: [this.registry],
        async collect() {
          let value: T;
          try {
            value = await read();
          } catch {
            return;
          }
          set(this, value);
        },
      });
    };
    const opsGauge = (name: string, help: string, set: (g: Gauge, s: OpsStats) => void, labelNames: string[] = []): void =>
      dbGauge(name, help, () => ops.read(), set, labelNames);
    opsGauge('sla_timers_overdue', 'Pending SLA timers whose due instant has passed (fired within a second normally)',
      (g, s) => g.set(s.timersOverdue));
    opsGauge('sla_timer_lag_seconds', 'How long the oldest overdue pending SLA timer has waited (0 when none)',
      (g, s) => g.set(s.timerLagSeconds));
    opsGauge('sla_firings_recent', `SLA threshold firings in the last ${RECENT_FIRINGS_MINUTES} minutes, per kind`,
      (g, s) => { for (const kind of FIRING_KINDS) g.set({ kind }, s.firingsRecent[kind] ?? 0); }, ['kind']);
    opsGauge('sla_firing_lateness_max_seconds', `The latest SLA firing of the last ${RECENT_FIRINGS_MINUTES} minutes: seconds after its due instant (or its timer's writing, if later)`,
      (g, s) => g.set(s.firingLatenessMaxSeconds));
    opsGauge('sla_clocks_breached', 'Running clocks past their deadline (tickets in breach now), per stage',
      (g, s) => { for (const stage of CLOCK_STAGES) g.set({ stage }, s.clocksBreached[stage] ?? 0); }, ['stage']);
    opsGauge('outbox_pending', 'Outbox rows not yet handed to the queue backend', (g, s) => g.set(s.outboxPending));
    opsGauge('outbox_oldest_pending_seconds', 'Age of the oldest outbox row not yet handed to the queue backend',
      (g, s) => g.set(s.outboxOldestSeconds));
    opsGauge('sla_notify_dead_letters', 'SLA webhook notifications given up on and not yet resent', (g, s) => g.set(s.deadLetters));
    dbGauge('report_rollup_lag_seconds', 'How long the oldest event not yet folded into the report rollups has waited (the staleness reports show)',
      () => rollups.lag(), (g, lag) => g.set(lag.lagMs / 1000));
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
    dbGauge('report_replica_lag_seconds', 'How far the read replica of REPORTS_DATABASE_URL is behind the primary (0 without one): reports are at least this stale',
      () => reports.replicaLagMs(), (g, ms) => g.set(ms / 1000));
    opsGauge('ticket_events_default_rows', 'Events in ticket_events_default, outside the monthly partitions (counted up to 10 000; the events.partitions job moves them)',
      (g, s) => g.set(s.eventsInDefault));
    dbGauge('report_fold_quarantine_tickets', 'Tickets in the report fold quarantine now (their latest changes are missing from the reports)',
      () => rollups.quarantineStats(), (g, q) => g.set(q.current));
  }
}
