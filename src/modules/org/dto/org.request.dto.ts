import { Transform } from 'class-transformer';
import { IsBoolean, IsEnum, IsIn, IsLatitude, IsLongitude, IsNumber, IsObject, IsOptional, IsString, IsUUID, Length, Matches, ValidateIf } from 'class-validator';
import { IF_GIVEN, LatLngTogether } from '../../../common/validators';
import { Role } from '../../auth/roles';

/** Codes are ltree labels: letters, digits and underscore (administrative codes are 12 digits). */
export const CODE_PATTERN = /^[0-9A-Za-z_]{1,40}$/;
/** Display text: no control characters. */
export const TEXT_PATTERN = /^[^\p{Cc}]+$/u;
/** Numbers in a JSON body are JSON numbers: `"42.03"` is refused (isNumber), never converted. */
const FINITE = { allowNaN: false, allowInfinity: false };
export const UNIT_TYPES = ['command_centre', 'bureau', 'utility', 'street_office', 'mediation_committee', 'party_branch', 'service_centre', 'community'] as const;

export class CreateGridNodeRequest {
  @IsUUID() parentId!: string;
  @Matches(CODE_PATTERN) code!: string;
  @IsString() @Length(1, 100) @Matches(TEXT_PATTERN) name!: string;
  @Matches(/^[a-z_]{1,30}$/) level!: string;
  /** WGS84 point, as JSON numbers; lat and lng come together or not at all. */
  @LatLngTogether('lng') @IsNumber(FINITE, IF_GIVEN) @IsLatitude(IF_GIVEN) lat?: number;
  @LatLngTogether('lat') @IsNumber(FINITE, IF_GIVEN) @IsLongitude(IF_GIVEN) lng?: number;
  /** GeoJSON Polygon in WGS84. */
  @IsOptional() @IsObject() polygon?: Record<string, unknown>;
}

export class UpdateGridNodeRequest {
  @IsOptional() @IsString() @Length(1, 100) @Matches(TEXT_PATTERN) name?: string;
  /** WGS84 point, as JSON numbers; lat and lng come together or not at all. */
  @LatLngTogether('lng') @IsNumber(FINITE, IF_GIVEN) @IsLatitude(IF_GIVEN) lat?: number;
  @LatLngTogether('lat') @IsNumber(FINITE, IF_GIVEN) @IsLongitude(IF_GIVEN) lng?: number;
  @IsOptional() @IsObject() polygon?: Record<string, unknown>;
}

export class CreateUnitRequest {
  @Matches(/^[0-9A-Za-z_-]{1,40}$/) code!: string;
  @IsString() @Length(1, 100) @Matches(TEXT_PATTERN) nameZh!: string;
  @IsString() @Length(1, 200) @Matches(TEXT_PATTERN) nameEn!: string;
  @IsIn(UNIT_TYPES) type!: (typeof UNIT_TYPES)[number];
  @IsUUID() jurisdictionNodeId!: string;
}

export class UpdateUnitRequest {
  @IsOptional() @IsString() @Length(1, 100) @Matches(TEXT_PATTERN) nameZh?: string;
  @IsOptional() @IsString() @Length(1, 200) @Matches(TEXT_PATTERN) nameEn?: string;
  @IsOptional() @IsBoolean() active?: boolean;
}

export class UnitQueryRequest {
  @IsOptional() @IsIn(UNIT_TYPES) type?: string;
}

export class CreateUserRequest {
  @Transform(({ value }) => (typeof value === 'string' ? value.toLowerCase() : value))
  @Matches(/^[a-z0-9][a-z0-9._-]{2,39}$/) username!: string;
  @IsString() @Length(1, 100) @Matches(TEXT_PATTERN) displayName!: string;
  @IsEnum(Role) role!: Role;
  @IsUUID() scopeNodeId!: string;
  @IsOptional() @IsUUID() unitId?: string;
  @IsString() @Length(1, 256) password!: string;
}

export class UpdateUserRequest {
  @IsOptional() @IsString() @Length(1, 100) @Matches(TEXT_PATTERN) displayName?: string;
  @IsOptional() @IsEnum(Role) role?: Role;
  @IsOptional() @IsUUID() scopeNodeId?: string;
  @IsOptional() @ValidateIf((_, v) => v !== null) @IsUUID() unitId?: string | null;
  @IsOptional() @IsBoolean() active?: boolean;
  @IsOptional() @IsString() @Length(1, 256) password?: string;
  /** Clears a lockout. */
  @IsOptional() @IsBoolean() unlock?: boolean;
  /** Removes the user's second factor so they enrol again. */
  @IsOptional() @IsBoolean() resetTotp?: boolean;
}

export class UserQueryRequest {
  @IsOptional() @IsEnum(Role) role?: Role;
  @IsOptional() @IsUUID() unitId?: string;
}

export class OnDutyRequest {
  @IsBoolean() onDuty!: boolean;
}
