import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** What the worker does, as the database shows it: read by the API at scrape time (the worker serves no metrics). */
export interface OpsStats {
  /** Pending SLA timers whose due instant has passed (normally 0, or a handful for a moment). */
  timersOverdue: number;
  /** How long the oldest of them has waited, in seconds (0 when none). */
  timerLagSeconds: number;
  /** Firings of the last five minutes per kind (remind, warning, breach, supervise, notice). */
  firingsRecent: Record<string, number>;
  /**
   * The latest firing of the last five minutes, in seconds after it could first fire (its due instant, or when its
   * timer was written if that was later), 0 when none.
   */
  firingLatenessMaxSeconds: number;
  /** Running clocks past their deadline, per stage: the tickets in breach now. */
  clocksBreached: Record<string, number>;
  /** Outbox rows not yet handed to the queue, and the age of the oldest in seconds. */
  outboxPending: number;
  outboxOldestSeconds: number;
  /** Webhook notifications given up on and not yet resent. */
  deadLetters: number;
  /** Events outside the monthly partitions of the log, in `ticket_events_default` (counted up to 10 000). */
  eventsInDefault: number;
}

/** Window of the "recent firings" figures. */
export const RECENT_FIRINGS_MINUTES = 5;

/**
 * One statement for every figure, each an index range (`sla_timers_pending_due_idx`, `sla_firings_fired_at_idx`,
 * `ticket_clocks_deadline_idx`, `outbox_pending_idx`), so a scrape costs milliseconds at any size. A scrape reads its
 * gauges one after another: the result is shared for a second so it is one statement per scrape.
 */
@Injectable()
export class OpsStatsRepository {
  private last: { at: number; stats: Promise<OpsStats> } | null = null;

  constructor(private readonly ds: DataSource) {}

  read(): Promise<OpsStats> {
    const now = Date.now();
    if (this.last && now - this.last.at < 1000) return this.last.stats;
    const stats = this.query();
    this.last = { at: now, stats };
    stats.catch(() => { if (this.last?.stats === stats) this.last = null; });
    return stats;
  }

  private async query(): Promise<OpsStats> {
    const rows: Array<Record<string, unknown>> = await this.ds.query(`
      WITH due AS (SELECT due_at FROM sla_timers WHERE state = 'pending' AND due_at <= now()),
           -- Late from when the timer could first fire: its due instant, or its writing for a threshold already passed
           -- when the clock was armed (a backdated or recomputed clock), which fires at once and is not late.
           recent AS (SELECT f.kind, f.fired_at - greatest(f.due_at, coalesce(t.created_at, f.due_at)) AS late
                        FROM sla_firings f
                        LEFT JOIN sla_timers t ON (t.clock_id, t.threshold, t.clock_version) = (f.clock_id, f.threshold, f.clock_version)
                       WHERE f.fired_at > now() - make_interval(mins => $1)),
           pending AS (SELECT created_at FROM outbox WHERE relayed_at IS NULL)
      SELECT (SELECT count(*) FROM due)::int AS timers_overdue,
             coalesce(extract(epoch FROM now() - (SELECT min(due_at) FROM due)), 0)::float8 AS timer_lag_s,
             (SELECT coalesce(json_object_agg(kind, n), '{}') FROM (SELECT kind, count(*)::int AS n FROM recent GROUP BY kind) f) AS firings,
             coalesce((SELECT extract(epoch FROM max(late)) FROM recent), 0)::float8 AS lateness_s,
             (SELECT coalesce(json_object_agg(stage, n), '{}')
                FROM (SELECT stage, count(*)::int AS n FROM ticket_clocks WHERE state = 'running' AND deadline < now() GROUP BY stage) c) AS breached,
             (SELECT count(*) FROM pending)::int AS outbox_pending,
             coalesce(extract(epoch FROM now() - (SELECT min(created_at) FROM pending)), 0)::float8 AS outbox_age_s,
             (SELECT count(*) FROM sla_dead_letters WHERE retried_at IS NULL)::int AS dead_letters,
             (SELECT count(*) FROM (SELECT 1 FROM ticket_events_default LIMIT 10000) d)::int AS events_in_default`, [RECENT_FIRINGS_MINUTES]);
    const r = rows[0]!;
    return {
      timersOverdue: Number(r.timers_overdue),
      timerLagSeconds: Math.max(0, Number(r.timer_lag_s)),
      firingsRecent: r.firings as Record<string, number>,
      firingLatenessMaxSeconds: Math.max(0, Number(r.lateness_s)),
      clocksBreached: r.breached as Record<string, number>,
      outboxPending: Number(r.outbox_pending),
      outboxOldestSeconds: Math.max(0, Number(r.outbox_age_s)),
      deadLetters: Number(r.dead_letters),
      eventsInDefault: Number(r.events_in_default),
    };
  }
}
