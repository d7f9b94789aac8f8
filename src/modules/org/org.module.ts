import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { OrgAdminController } from './org-admin.controller';
import { OrgController } from './org.controller';
import { OrgRepository } from './org.repository';
import { OrgService } from './org.service';

@Module({
  imports: [AuthModule],
  controllers: [OrgController, OrgAdminController],
  providers: [OrgRepository, OrgService],
  exports: [OrgService],
})
export class OrgModule {}
