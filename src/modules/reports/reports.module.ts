import { Module } from '@nestjs/common';
import { SlaCoreModule } from '../sla/sla-core.module';
import { FoldQuarantineService } from './fold-quarantine.service';
import { ReportRollupJob } from './report-rollup.job';
import { ReportsController } from './reports.controller';
import { ReportsRepository } from './reports.repository';
import { ReportsService } from './reports.service';
import { RollupRepository } from './rollup.repository';
import { RollupService } from './rollup.service';

/** Reports for officials: rollups folded from the ticket event log, report queries and exports. */
@Module({
  imports: [SlaCoreModule],
  controllers: [ReportsController],
  providers: [RollupRepository, RollupService, ReportsRepository, ReportsService, FoldQuarantineService, ReportRollupJob],
  exports: [RollupService, ReportRollupJob, ReportsService],
})
export class ReportsModule {}
