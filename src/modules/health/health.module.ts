import { Module } from '@nestjs/common';
import { ReportsModule } from '../reports/reports.module';
import { HealthController } from './health.controller';
import { MetricsService } from './metrics.service';

// Reports: the report fold's quarantine counts, read at scrape time (the worker that folds serves no metrics).
@Module({ imports: [ReportsModule], controllers: [HealthController], providers: [MetricsService], exports: [MetricsService] })
export class HealthModule {}
