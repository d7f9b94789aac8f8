import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize, IsArray, IsBoolean, IsIn, IsInt, IsLatitude, IsLongitude, IsNumber, IsObject, IsOptional, IsString, IsUUID, Length, Matches, Max, Min, ValidateNested,
} from 'class-validator';
import { HasLettersOrDigits, IF_GIVEN, IsMediaUrl, LatLngTogether } from '../../../common/validators';

const TEXT = /^[^\p{Cc}]*$/u;
/** Numbers in a JSON body are JSON numbers: `"42.03"` is refused (isNumber), never converted. */
const FINITE = { allowNaN: false, allowInfinity: false };
const MULTILINE = /^[^\p{Cc}]*$|^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$/u;
export const CHANNELS = ['patrol', 'hotline', 'app', 'web', 'walk_in', 'open311', 'referral'] as const;
export type Channel = (typeof CHANNELS)[number];

export class ReporterRequest {
  @IsString() @Length(1, 50) @Matches(TEXT) @HasLettersOrDigits() name!: string;
  @Matches(/^[0-9+\- ]{5,20}$/) phone!: string;
}

/** 上报: file a ticket. Grid node defaults to the filer's own node. */
export class FileTicketRequest {
  @Matches(/^[0-9A-Za-z_]{1,40}$/) categoryCode!: string;
  /** Case standard code within the category (e.g. `missing` 缺失); defaults to the category's first standard. */
  @IsOptional() @Matches(/^[0-9A-Za-z_]{1,40}$/) standardCode?: string;
  /** Must say something: at least one letter or digit (any script), not only spaces, zero-width characters or dots. */
  @IsString() @Length(1, 200) @Matches(TEXT) @HasLettersOrDigits() title!: string;
  @IsString() @Length(0, 5000) @Matches(MULTILINE) description!: string;
  @IsOptional() @IsString() @Length(0, 300) @Matches(TEXT) address?: string;
  /** WGS84 point, as JSON numbers; lat and lng come together or not at all. */
  @LatLngTogether('lng') @IsNumber(FINITE, IF_GIVEN) @IsLatitude(IF_GIVEN) lat?: number;
  @LatLngTogether('lat') @IsNumber(FINITE, IF_GIVEN) @IsLongitude(IF_GIVEN) lng?: number;
  @IsOptional() @IsUUID() gridNodeId?: string;
  @IsIn(CHANNELS) channel!: Channel;
  @IsOptional() @IsIn(['extra_urgent', 'urgent', 'normal']) priority?: 'extra_urgent' | 'urgent' | 'normal';
  @IsOptional() @IsObject() @ValidateNested() @Type(() => ReporterRequest) reporter?: ReporterRequest;
  /** Platform-specific attributes, validated by the platform's schema. */
  @IsOptional() @IsObject() attributes?: Record<string, unknown>;
  /** convenience_services: materials the resident has provided (所需材料). */
  @IsOptional() @IsArray() @ArrayMaxSize(50) @IsString({ each: true }) @Length(1, 50, { each: true }) materialsProvided?: string[];
  /**
   * Links to photos or videos kept by the filer's own system (a residents' app, the 12345 platform): absolute
   * http(s), no credentials, at most 10. Never fetched by us; photos we should keep are uploaded as attachments.
   */
  @IsOptional() @IsArray() @ArrayMaxSize(10) @IsMediaUrl({ each: true }) mediaUrls?: string[];
}

/** Body of `POST /tickets/:id/actions/:action`; which fields matter depends on the action (see docs/api.md). */
export class TicketActionRequest {
  @IsInt() @Min(1) expectedVersion!: number;
  @IsOptional() @IsString() @Length(0, 2000) @Matches(MULTILINE) note?: string;
  /**
   * 公开答复: words for the resident, published as the request's status_notes on Open311 (docs/open311.md) while
   * the ticket stays in the state this action leads to. `note` is for staff and never published.
   */
  @IsOptional() @IsString() @Length(1, 500) @Matches(MULTILINE) @HasLettersOrDigits() publicNote?: string;
  @IsOptional() @IsString() @Length(1, 500) @Matches(TEXT) reason?: string;
  @IsOptional() @IsUUID() unitId?: string;
  @IsOptional() @IsArray() @ArrayMaxSize(10) @IsUUID('all', { each: true }) coUnitIds?: string[];
  @IsOptional() @IsUUID() handlerId?: string;
  @IsOptional() @IsBoolean() passed?: boolean;
  @IsOptional() @IsBoolean() approved?: boolean;
  @IsOptional() @IsBoolean() contacted?: boolean;
  @IsOptional() @IsBoolean() resolved?: boolean;
  @IsOptional() @IsIn(['satisfied', 'basically_satisfied', 'dissatisfied']) satisfaction?: 'satisfied' | 'basically_satisfied' | 'dissatisfied';
  @IsOptional() @IsUUID() parentId?: string;
  @IsOptional() @IsInt() @Min(60) @Max(90 * 86400) extraSeconds?: number;
  @IsOptional() @IsBoolean() partiesConsent?: boolean;
  @IsOptional() @IsIn(['agreement', 'failed']) mediationOutcome?: 'agreement' | 'failed';
  @IsOptional() @IsIn(['court', 'arbitration', 'petition']) mediationReferral?: 'court' | 'arbitration' | 'petition';
  @IsOptional() @IsNumber() @Min(0.25) @Max(24) volunteerHours?: number;
  @IsOptional() @IsArray() @ArrayMaxSize(20) @IsUUID('all', { each: true }) attachmentIds?: string[];
  /**
   * 立案 only: the case standard (立案标准) of the ticket's category the dispatcher registers it under, e.g. `damaged`
   * instead of the `missing` a filer chose; its default priority comes with it.
   */
  @IsOptional() @Matches(/^[0-9A-Za-z_]{1,40}$/) standardCode?: string;
}

export class TicketListRequest {
  @IsOptional() @Transform(({ value }) => (typeof value === 'string' ? value.split(',') : value))
  @IsArray() @IsIn(['reported', 'registered', 'dispatched', 'returned', 'in_progress', 'suspended', 'resolved', 'closed', 'archived', 'voided', 'cancelled', 'merged'], { each: true })
  status?: string[];
  @IsOptional() @IsIn(['community_governance', 'dispute_resolution', 'request_handling', 'convenience_services', 'party_building']) platform?: string;
  @IsOptional() @Matches(/^[0-9A-Za-z_]{1,40}$/) categoryCode?: string;
  @IsOptional() @IsUUID() gridNodeId?: string;
  /** Lead unit (主办单位) only. */
  @IsOptional() @IsUUID() unitId?: string;
  /** Tickets the unit leads (主办) or co-handles (协办): a co-unit's list of what it takes part in. */
  @IsOptional() @IsUUID() involvingUnitId?: string;
  @IsOptional() @IsIn(CHANNELS) channel?: string;
  @IsOptional() @IsIn(['true', 'false']) overdue?: 'true' | 'false';
  /** 预警标记: tickets whose SLA alert is one of these colours (comma-separated), e.g. `red` or `yellow,red`. */
  @IsOptional() @Transform(({ value }) => (typeof value === 'string' ? value.split(',') : value))
  @IsArray() @ArrayMaxSize(3) @IsIn(['blue', 'yellow', 'red'], { each: true })
  slaAlert?: Array<'blue' | 'yellow' | 'red'>;
  /** Text search over title, description and address (works for Chinese), or an exact ticket number. */
  @IsOptional() @IsString() @Length(1, 100) @Matches(TEXT) q?: string;
  @IsOptional() @Matches(/^[A-Za-z0-9_-]{10,200}$/) cursor?: string;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(200) limit?: number;
}

export class RevealRequest {
  /** Why personal data is needed (SPEC §9): at least 2 letters or digits, e.g. 核实; blanks and dots say nothing. */
  @IsString() @Length(1, 500) @Matches(TEXT) @HasLettersOrDigits(2) reason!: string;
}

export class MaterialsRequest {
  @IsInt() @Min(1) expectedVersion!: number;
  @IsArray() @ArrayMaxSize(50) @IsString({ each: true }) @Length(1, 50, { each: true }) provided!: string[];
}
