import { Type } from 'class-transformer';
import { IsDate, IsIn, IsInt, IsOptional, IsString, IsUUID, Matches, Max, Min } from 'class-validator';

export class AuditQueryRequest {
  @IsOptional() @Type(() => Date) @IsDate() from?: Date;
  @IsOptional() @Type(() => Date) @IsDate() to?: Date;
  @IsOptional() @IsUUID() actorId?: string;
  @IsOptional() @IsString() @Matches(/^[a-z0-9_.:-]{1,60}$/) action?: string;
  @IsOptional() @IsIn(['success', 'failure', 'denied']) result?: string;
  /** Cursor: the `nextCursor` of the previous page. */
  @IsOptional() @Matches(/^[0-9]{1,19}$/) cursor?: string;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500) limit?: number;
}
