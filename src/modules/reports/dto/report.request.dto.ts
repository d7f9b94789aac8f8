import { IsIn, IsOptional, IsUUID, Matches } from 'class-validator';
import { GROUP_BYS } from '../reports.repository';

const DATE = /^\d{4}-\d{2}-\d{2}$/;
export const CHANNELS = ['patrol', 'hotline', 'app', 'web', 'walk_in', 'open311', 'referral'] as const;

/** Query of every report endpoint. Dates are Asia/Shanghai filing days, both inclusive. */
export class ReportQueryRequest {
  @IsOptional() @Matches(DATE) from?: string;
  @IsOptional() @Matches(DATE) to?: string;
  // Typed string, not a TS enum: enums break ValidationPipe under swc.
  @IsOptional() @IsIn(GROUP_BYS) groupBy?: string;
  @IsOptional() @Matches(/^[a-z_]{1,40}$/) platform?: string;
  @IsOptional() @Matches(/^[0-9A-Za-z_.-]{1,40}$/) categoryCode?: string;
  @IsOptional() @IsIn(CHANNELS) channel?: string;
  @IsOptional() @IsUUID() unitId?: string;
  @IsOptional() @IsUUID() gridNodeId?: string;
  @IsOptional() @IsIn(['json', 'csv', 'xlsx']) format?: string;
}
