import { Global, Inject, Injectable, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from './config/app-config';
import { FieldCipher } from './common/field-cipher';
import { createDataSource } from './database/data-source';
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
    @Inject(QUEUE_BACKEND) private readonly backend: QueueBackend,
  ) {}
  async onApplicationShutdown(): Promise<void> {
    await this.backend.close();
    if (this.ds.isInitialized) await this.ds.destroy();
  }
}

/** Process-wide infrastructure shared by the API and the worker. */
@Global()
@Module({})
export class CoreModule {
  static forRoot(runtime: Runtime): DynamicModule {
    return {
      module: CoreModule,
      providers: [
        { provide: APP_CONFIG, useValue: runtime.config },
        {
          provide: DataSource,
          useFactory: async () => createDataSource(runtime.databaseUrl, runtime.config.dbPoolSize).initialize(),
        },
        { provide: QUEUE_BACKEND, useFactory: () => createQueueBackend(runtime.config, runtime.databaseUrl) },
        { provide: FieldCipher, useFactory: () => new FieldCipher(runtime.config.piiKey, runtime.config.piiPreviousKeys) },
        QueueService,
        OutboxService,
        CoreShutdown,
      ],
      exports: [APP_CONFIG, DataSource, QUEUE_BACKEND, FieldCipher, QueueService, OutboxService],
    };
  }
}
