import { Module, type DynamicModule } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { CoreModule, type Runtime } from './core.module';
import { AuditModule } from './modules/audit/audit.module';
import { AuthModule } from './modules/auth/auth.module';
import { CatalogueModule } from './modules/catalogue/catalogue.module';
import { DispatchModule } from './modules/dispatch/dispatch.module';
import { HealthModule } from './modules/health/health.module';
import { OrgModule } from './modules/org/org.module';
import { Open311Module } from './modules/open311/open311.module';
import { TicketsModule } from './modules/tickets/tickets.module';
import { SlaModule } from './modules/sla/sla.module';
import { ReportsModule } from './modules/reports/reports.module';
import { WorkerRuntimeModule } from './worker.module';

/** The API process. With `withWorker` (demo, tests) the queue workers run in the same process. */
@Module({})
export class ApiModule {
  static forRoot(runtime: Runtime, options: { withWorker?: boolean } = {}): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        CoreModule.forRoot(runtime),
        DiscoveryModule,
        AuditModule,
        AuthModule,
        OrgModule,
        CatalogueModule,
        TicketsModule,
        SlaModule,
        DispatchModule,
        ReportsModule,
        Open311Module,
        HealthModule,
        ...(options.withWorker ? [WorkerRuntimeModule] : []),
      ],
    };
  }
}
