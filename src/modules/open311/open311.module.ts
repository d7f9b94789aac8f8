import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { CatalogueModule } from '../catalogue/catalogue.module';
import { TicketsModule } from '../tickets/tickets.module';
import { Open311AccessService } from './open311-access.service';
import { Open311ErrorHook } from './open311-error-hook';
import { Open311IntakeService } from './open311-intake.service';
import { Open311KeysController } from './open311-keys.controller';
import { Open311KeysService } from './open311-keys.service';
import { Open311LocatorService } from './open311-locator.service';
import { Open311RatingService } from './open311-rating.service';
import { Open311Controller } from './open311.controller';
import { Open311Repository } from './open311.repository';
import { Open311Service } from './open311.service';

/** Open311 GeoReport v2: the public adapter over tickets and the catalogue, and its API keys. */
@Module({
  imports: [AuditModule, CatalogueModule, TicketsModule],
  controllers: [Open311Controller, Open311KeysController],
  providers: [Open311Repository, Open311Service, Open311AccessService, Open311KeysService, Open311LocatorService, Open311IntakeService, Open311RatingService, Open311ErrorHook],
})
export class Open311Module {}
