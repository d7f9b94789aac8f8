import { Module } from '@nestjs/common';
import { CatalogueAdminController } from './catalogue-admin.controller';
import { CatalogueAdminService } from './catalogue-admin.service';
import { CatalogueController } from './catalogue.controller';
import { CatalogueRepository } from './catalogue.repository';
import { CatalogueService } from './catalogue.service';

/** Platforms, the versioned category tree and case standards. Other modules use `CatalogueService`. */
@Module({
  controllers: [CatalogueController, CatalogueAdminController],
  providers: [CatalogueRepository, CatalogueService, CatalogueAdminService],
  exports: [CatalogueService],
})
export class CatalogueModule {}
