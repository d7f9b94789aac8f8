import { Controller, Get, Header, Inject, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { DataSource } from 'typeorm';
import { REPORTS_DATA_SOURCE } from '../../database/reports-data-source';
import { QUEUE_BACKEND } from '../../queue/queue.tokens';
import type { QueueBackend } from '../../queue/queue-backend';
import { Public } from '../auth/permission.decorator';
import { MetricsService } from './metrics.service';

@ApiExcludeController()
@Controller()
export class HealthController {
  constructor(
    private readonly ds: DataSource,
    @Inject(REPORTS_DATA_SOURCE) private readonly reportsDs: DataSource,
    @Inject(QUEUE_BACKEND) private readonly queues: QueueBackend,
    private readonly metrics: MetricsService,
  ) {}

  /** The process is up. */
  @Get('health/live')
  @Public()
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /**
   * The process can serve: database reachable and the queue backend fit (Redis must be `noeviction`); with
   * REPORTS_DATABASE_URL, the reports' read replica reachable too.
   */
  @Get('health/ready')
  @Public()
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<{ status: 'ok' | 'unavailable'; checks: Record<string, string> }> {
    const checks: Record<string, string> = {};
    try {
      await this.ds.query('SELECT 1');
      checks.database = 'ok';
    } catch (err) {
      checks.database = `error: ${(err as Error).message}`;
    }
    if (this.reportsDs !== this.ds) {
      try {
        const [r] = await this.reportsDs.query(`SELECT pg_is_in_recovery() AS replica`);
        checks.reportsDatabase = r.replica ? 'ok (replica)' : 'ok (not a replica)';
      } catch (err) {
        checks.reportsDatabase = `error: ${(err as Error).message}`;
      }
    }
    const problems = await this.queues.readinessProblems();
    checks.queues = problems.length === 0 ? `ok (${this.queues.kind})` : `error: ${problems.join('; ')}`;
    const ok = Object.values(checks).every((c) => c.startsWith('ok'));
    void reply.status(ok ? 200 : 503);
    return { status: ok ? 'ok' : 'unavailable', checks };
  }

  /** Prometheus exposition. Public for scrapers; restrict it at the network edge in production. */
  @Get('metrics')
  @Public()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  async scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
