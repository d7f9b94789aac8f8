/**
 * Every background job the system knows: its queue and payload type. Job payloads carry ids only,
 * never personal data. The worker refuses to boot if a registered job has no handler.
 */
export interface JobPayloads {
  'audit.purge': { retentionDays: number };
  'system.ping': { token: string };
  /** Relays committed outbox rows to BullMQ (job scheduler, every few seconds). */
  'outbox.relay': Record<string, never>;
}

export type JobName = keyof JobPayloads;

export const JOB_QUEUES: Record<JobName, QueueName> = {
  'audit.purge': 'maintenance',
  'system.ping': 'maintenance',
  'outbox.relay': 'maintenance',
};

export const QUEUE_NAMES = ['maintenance', 'tickets'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];
