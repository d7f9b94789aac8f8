import { Module } from '@nestjs/common';
import { DispatchModule } from '../dispatch/dispatch.module';
import { ReportsModule } from '../reports/reports.module';
import { HealthController } from './health.controller';
import { MetricsService } from './metrics.service';
import { OpsStatsRepository } from './ops-stats.repository';

// Reports: the report fold's staleness and quarantine counts, read at scrape time (the worker that folds serves no metrics).
// Dispatch: the live queue streams this process holds open.
@Module({ imports: [ReportsModule, DispatchModule], controllers: [HealthController], providers: [MetricsService, OpsStatsRepository], exports: [MetricsService] })
export class HealthModule {}
