import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsInt, IsISO8601, IsOptional, IsString, IsUUID, Length, Matches, Max, Min } from 'class-validator';

const CODE = /^[0-9A-Za-z_]{1,40}$/;
const TEXT = /^[^\p{Cc}]+$/u;
/** Local time of day, Asia/Shanghai. */
const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;
export const PLATFORM_CODES = ['community_governance', 'dispute_resolution', 'request_handling', 'convenience_services', 'party_building'] as const;

/** A routing rule 派单规则: (platform, categories, grid subtree, optional time window) → unit, in explicit order. */
export class RoutingRuleRequest {
  @IsString() @Length(1, 100) @Matches(TEXT) name!: string;
  @IsIn(PLATFORM_CODES) platform!: string;
  /** Exact category codes (e.g. 0101 … 0114); empty with no prefix = every category of the platform. */
  @IsOptional() @IsArray() @ArrayMaxSize(200) @Matches(CODE, { each: true }) categoryCodes?: string[];
  /** Category code prefix (e.g. `01` = 公用设施). */
  @IsOptional() @Matches(CODE) categoryPrefix?: string;
  /** The rule covers this grid node's subtree. */
  @IsUUID() gridNodeId!: string;
  /** Optional local time window (Asia/Shanghai), `HH:MM`; start after end runs past midnight. */
  @IsOptional() @Matches(HHMM) windowStart?: string;
  @IsOptional() @Matches(HHMM) windowEnd?: string;
  /** The handling unit (承办单位) the rule sends to. */
  @IsUUID() unitId!: string;
  /** Lower runs first. */
  @IsInt() @Min(0) @Max(1_000_000) position!: number;
  /** Register (立案) automatically. */
  @IsOptional() @IsBoolean() autoRegister?: boolean;
  /** Also dispatch (派遣) automatically; needs autoRegister. */
  @IsOptional() @IsBoolean() autoDispatch?: boolean;
  @IsOptional() @IsBoolean() active?: boolean;
}

export class UpdateRoutingRuleRequest extends RoutingRuleRequest {
  @IsInt() @Min(1) expectedVersion!: number;
}

export class DryRunRequest {
  @IsUUID() ticketId!: string;
  /** Evaluate time windows at this instant instead of now. */
  @IsOptional() @IsISO8601({ strict: true }) at?: string;
}

export class UnitDispatchSettingsRequest {
  /** Auto-assignment (自动分派) to the on-duty handler with the fewest open tickets. */
  @IsBoolean() autoAssign!: boolean;
}

export class QueueListRequest {
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(200) limit?: number;
  /** Triage: only ownerless tickets (无主案件). */
  @IsOptional() @IsIn(['true', 'false']) ownerless?: 'true' | 'false';
}
