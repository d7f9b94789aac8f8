import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsIn, IsInt, IsObject, IsOptional, IsString, IsUUID, Length, Matches, Max, Min } from 'class-validator';

const TEXT = /^[^\p{Cc}]*$/u;
/** Holiday schedule text may have line breaks and tabs but no other control characters. */
const MULTILINE = /^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*$/u;
export const SLA_CODE = /^[a-z0-9][a-z0-9_-]{0,39}$/;

export class CreateCalendarRequest {
  @Matches(SLA_CODE) code!: string;
  @Matches(SLA_CODE) parentCode!: string;
  /** The grid node (and subtree) the calendar applies to, e.g. a city or a district. */
  @IsUUID() gridNodeId!: string;
  /** Calendar data without code, version and parentCode (weekPeriods, holidays, workdays, closures, makeupTemplateWeekday). */
  @IsObject() definition!: Record<string, unknown>;
  @IsOptional() @IsString() @Length(0, 500) @Matches(TEXT) note?: string;
}

export class UpdateCalendarRequest {
  @IsInt() @Min(1) expectedVersion!: number;
  @IsObject() definition!: Record<string, unknown>;
  @IsOptional() @IsString() @Length(0, 500) @Matches(TEXT) note?: string;
}

export class ImportScheduleRequest {
  @IsInt() @Min(1) expectedVersion!: number;
  /** `date,kind,name_zh,name_en` lines as published by the State Council (see libs/sla-calendar README). */
  @IsString() @Length(1, 100_000) @Matches(MULTILINE) text!: string;
  @IsOptional() @IsString() @Length(0, 500) @Matches(TEXT) note?: string;
}

export class CreatePolicyRequest {
  @Matches(SLA_CODE) code!: string;
  @IsIn(['community_governance', 'dispute_resolution', 'request_handling', 'convenience_services', 'party_building']) platform!: string;
  @IsObject() definition!: Record<string, unknown>;
  @IsOptional() @IsString() @Length(0, 500) @Matches(TEXT) note?: string;
}

export class UpdatePolicyRequest {
  @IsInt() @Min(1) expectedVersion!: number;
  @IsObject() definition!: Record<string, unknown>;
  @IsOptional() @IsString() @Length(0, 500) @Matches(TEXT) note?: string;
}

export class RecomputeRequest {
  @IsOptional() @IsArray() @ArrayMinSize(1) @ArrayMaxSize(1000) @IsUUID('all', { each: true }) ticketIds?: string[];
  @IsOptional() @IsIn(['community_governance', 'dispute_resolution', 'request_handling', 'convenience_services', 'party_building']) platform?: string;
  @IsOptional() @Matches(/^[0-9A-Za-z_]{1,40}$/) categoryCode?: string;
  @IsOptional() @IsArray() @ArrayMaxSize(12) @IsIn(['reported', 'registered', 'dispatched', 'returned', 'in_progress', 'suspended', 'resolved', 'closed', 'archived', 'voided', 'cancelled', 'merged'], { each: true }) status?: string[];
  /** Also recompute stopped clocks (their deadline and overdue flag; no timers). */
  @IsOptional() @IsBoolean() includeStopped?: boolean;
  /** Report what would move without changing anything. */
  @IsOptional() @IsBoolean() dryRun?: boolean;
  /**
   * Where a clock's facts (start, pauses, extensions, stop) come from: `events` (default) replays the ticket's event
   * log and repairs clocks that disagree with it; `clocks` keeps the stored facts and only re-derives limits and
   * deadlines (for a clock corrected by hand, e.g. the controlled clock of the SLA tests).
   */
  @IsOptional() @IsIn(['events', 'clocks']) source?: string;
  /** At most this many tickets (oldest first); `limitReached` in the answer says when more matched. */
  @IsOptional() @IsInt() @Min(1) @Max(5000) limit?: number;
  /** Continue a long run after this ticket (the previous answer's `nextAfterTicketId`). */
  @IsOptional() @IsUUID() afterTicketId?: string;
  @IsOptional() @IsString() @Length(0, 500) @Matches(TEXT) note?: string;
}

export class DeadLetterQueryRequest {
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500) limit?: number;
}
