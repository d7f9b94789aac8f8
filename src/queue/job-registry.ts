/**
 * Every background job the system knows: its queue and payload type. Job payloads carry ids only,
 * never personal data. The worker refuses to boot if a registered job has no handler.
 */
export interface JobPayloads {
  'audit.purge': { retentionDays: number };
  'system.ping': { token: string };
  /** Relays committed outbox rows to BullMQ (job scheduler, every few seconds). */
  'outbox.relay': Record<string, never>;
  /** Routes a freshly filed ticket by the dispatch rules (派单目录); enqueued through the outbox. */
  'dispatch.route': { ticketId: string };
  /** Re-creates routing jobs lost from the queue (job scheduler, every minute). */
  'dispatch.reconcile': Record<string, never>;
  /** Fires one SLA threshold of one clock version (催办, 预警, 超期, 督办, 通报); `hop` counts re-delays of an early delivery. */
  'sla.fire': { clockId: string; threshold: string; clockVersion: number; hop?: number };
  /** Re-creates missing SLA timers and fires overdue ones (job scheduler, every minute). */
  'sla.reconcile': Record<string, never>;
  /** Sends one SLA notification to the configured webhook (retries, then the dead-letter list). */
  'sla.notify': { firingId: string };
  /** Folds new ticket events into the report rollups (job scheduler every 10 s). */
  'reports.rollup': Record<string, never>;
  /** Drops Open311 rate-limit windows older than five minutes (job scheduler every 10 min). */
  'open311.rate-purge': Record<string, never>;
  /** Removes attachment files no row refers to (job scheduler, hourly). */
  'attachments.orphan-sweep': Record<string, never>;
  /** Keeps the event log's monthly partitions ready three months ahead (job scheduler, every six hours). */
  'events.partitions': Record<string, never>;
}

export type JobName = keyof JobPayloads;

export const JOB_QUEUES: Record<JobName, QueueName> = {
  'audit.purge': 'maintenance',
  'system.ping': 'maintenance',
  'outbox.relay': 'maintenance',
  'dispatch.route': 'tickets',
  'dispatch.reconcile': 'tickets',
  'sla.fire': 'sla',
  'sla.reconcile': 'sla',
  'sla.notify': 'notify',
  'reports.rollup': 'maintenance',
  'open311.rate-purge': 'maintenance',
  'attachments.orphan-sweep': 'maintenance',
  'events.partitions': 'maintenance',
};

export const QUEUE_NAMES = ['maintenance', 'tickets', 'sla', 'notify'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];
