import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, IsString, IsUUID, Matches, Max, Min } from 'class-validator';

export class AuditQueryRequest {
  /** ISO 8601 date or instant; a date that does not exist (2026-02-30) is refused, not rolled over. */
  @IsOptional() @IsISO8601({ strict: true }) from?: string;
  @IsOptional() @IsISO8601({ strict: true }) to?: string;
  @IsOptional() @IsUUID() actorId?: string;
  @IsOptional() @IsString() @Matches(/^[a-z0-9_.:-]{1,60}$/) action?: string;
  @IsOptional() @IsIn(['success', 'failure', 'denied']) result?: string;
  /** Cursor: the `nextCursor` of the previous page. */
  @IsOptional() @Matches(/^[0-9]{1,19}$/) cursor?: string;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500) limit?: number;
}
