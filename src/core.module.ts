import { Global, Inject, Injectable, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from './config/app-config';
import { FieldCipher } from './common/field-cipher';
import { createDataSource } from './database/data-source';
import { REPORTS_DATA_SOURCE } from './database/reports-data-source';
import { createQueueBackend, type QueueBackend } from './queue/queue-backend';
import { OutboxService } from './queue/outbox.service';
import { QueueService } from './queue/queue.service';
import { QUEUE_BACKEND } from './queue/queue.tokens';

/** What bootstrap resolved before Nest starts: the validated config and the database actually used. */
export interface Runtime {
  config: AppConfig;
  databaseUrl: string;
}

@Injectable()
class CoreShutdown implements OnApplicationShutdown {
  constructor(
    private readonly ds: DataSource,
    @Inject(REPORTS_DATA_SOURCE) private readonly reportsDs: DataSource,
    @Inject(QUEUE_BACKEND) private readonly backend: QueueBackend,
  ) {}
  async onApplicationShutdown(): Promise<void> {
    await this.backend.close();
    if (this.reportsDs !== this.ds && this.reportsDs.isInitialized) await this.reportsDs.destroy();
    if (this.ds.isInitialized) await this.ds.destroy();
  }
}

/** Process-wide infrastructure shared by the API and the worker. */
@Global()
@Module({})
export class CoreModule {
  /** `reportsReplica: false` (the worker) keeps report reads on the primary: only the API serves reports. */
  static forRoot(runtime: Runtime, options: { reportsReplica?: boolean } = {}): DynamicModule {
    const replicaUrl = options.reportsReplica === false ? undefined : runtime.config.reportsDatabaseUrl;
    return {
      module: CoreModule,
      providers: [
        { provide: APP_CONFIG, useValue: runtime.config },
        {
          provide: DataSource,
          useFactory: async () => createDataSource(runtime.databaseUrl, runtime.config.dbPoolSize).initialize(),
        },
        {
          // Report queries read a replica when REPORTS_DATABASE_URL is set (SPEC §11), else the primary itself.
          provide: REPORTS_DATA_SOURCE,
          inject: [DataSource],
          useFactory: async (primary: DataSource) => replicaUrl
            ? createDataSource(replicaUrl, Math.min(runtime.config.dbPoolSize, 20)).initialize()
            : primary,
        },
        { provide: QUEUE_BACKEND, useFactory: () => createQueueBackend(runtime.config, runtime.databaseUrl) },
        { provide: FieldCipher, useFactory: () => new FieldCipher(runtime.config.piiKey, runtime.config.piiPreviousKeys) },
        QueueService,
        OutboxService,
        CoreShutdown,
      ],
      exports: [APP_CONFIG, DataSource, REPORTS_DATA_SOURCE, QUEUE_BACKEND, FieldCipher, QueueService, OutboxService],
    };
  }
}
