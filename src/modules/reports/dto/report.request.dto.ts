import { Type } from 'class-transformer';
import { IsIn, IsInt, IsNumber, IsObject, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';
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

/** Weights of the composite score, each 0–100 (normalised by their sum); a rate left out does not count. */
export class ScoreWeightsRequest {
  @IsOptional() @IsNumber() @Min(0) @Max(100) closeRate?: number;
  @IsOptional() @IsNumber() @Min(0) @Max(100) onTimeCloseRate?: number;
  @IsOptional() @IsNumber() @Min(0) @Max(100) onTimeResolveRate?: number;
  @IsOptional() @IsNumber() @Min(0) @Max(100) reworkRate?: number;
  @IsOptional() @IsNumber() @Min(0) @Max(100) extensionRate?: number;
  @IsOptional() @IsNumber() @Min(0) @Max(100) returnRate?: number;
  @IsOptional() @IsNumber() @Min(0) @Max(100) accurateDispatchRate?: number;
  @IsOptional() @IsNumber() @Min(0) @Max(100) responseRate?: number;
  @IsOptional() @IsNumber() @Min(0) @Max(100) solveRate?: number;
  @IsOptional() @IsNumber() @Min(0) @Max(100) satisfactionRate?: number;
}

/** A new composite-score version (考核方案), in force from `effectiveFrom` (today or later) until the next one. */
export class CreateScoreVersionRequest {
  @Matches(DATE) effectiveFrom!: string;
  @IsObject() @ValidateNested() @Type(() => ScoreWeightsRequest) weights!: ScoreWeightsRequest;
  @IsNumber() @Min(0) @Max(1) basicSatisfiedWeight!: number;
  @IsNumber() @Min(0) @Max(100) redBelow!: number;
  @IsNumber() @Min(0) @Max(100) commendFrom!: number;
  @IsOptional() @IsString() @MaxLength(500) note?: string;
}

/** Query of the fold quarantine list: at most `limit` tickets (default 100), most recently failed first. */
export class FoldQuarantineQueryRequest {
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1000) limit?: number;
}

/** `POST /reports/refold`: fold again every event from this Asia/Shanghai day on (the whole log when omitted). */
export class RefoldRequest {
  /** First filing day whose events are folded again (YYYY-MM-DD, Asia/Shanghai); omitted, the whole log. */
  @IsOptional() @Matches(DATE) from?: string;
  /** Why (kept in the audit log with the request), e.g. "2027 holiday schedule imported". */
  @IsString() @MaxLength(500) @Matches(/\p{L}|\p{N}/u) reason!: string;
}
