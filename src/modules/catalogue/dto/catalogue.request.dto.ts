import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize, ArrayUnique, IsArray, IsBoolean, IsIn, IsInt, IsNumber, IsOptional, IsString, Length, Matches, Max, Min,
  ValidateIf, ValidateNested,
} from 'class-validator';
import { PLATFORM_CODES } from '../../platforms/platform.types';
import { CATALOGUE_CODE, CLOCK_TYPES, LEVELS, MAX_LIMIT_DAYS, MAX_LIMIT_SECONDS, MAX_MATERIALS, MAX_STANDARDS, PRIORITIES, UNIT_TYPES } from '../catalogue-rules';
import type { CategoryLevel, ClockType, Priority } from '../catalogue.types';

/** Display text: no control characters. */
const TEXT = /^[^\p{Cc}]+$/u;
const toBoolean = ({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value);

export class CategoryQueryRequest {
  @IsOptional() @IsIn(PLATFORM_CODES) platform?: string;
  /** Also list superseded versions (history). */
  @IsOptional() @Transform(toBoolean) @IsBoolean() includeSuperseded?: boolean;
}

export class CategoryVersionQueryRequest {
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1_000_000) version?: number;
}

/** 立案标准: filing condition → limit on the given clock → closing condition. */
export class CaseStandardRequest {
  @Matches(CATALOGUE_CODE) code!: string;
  @IsString() @Length(1, 100) @Matches(TEXT) nameZh!: string;
  @IsString() @Length(1, 200) @Matches(TEXT) nameEn!: string;
  @IsString() @Length(1, 1000) @Matches(TEXT) filingConditionZh!: string;
  @IsString() @Length(1, 1000) @Matches(TEXT) closingConditionZh!: string;
  @IsIn(PRIORITIES) priority!: Priority;
  @IsIn(CLOCK_TYPES) clockType!: ClockType;
  /** For natural and working_hours clocks. */
  @IsOptional() @ValidateIf((_, v) => v !== null) @IsInt() @Min(1) @Max(MAX_LIMIT_SECONDS) resolveLimitSeconds?: number | null;
  /** For working_days clocks. */
  @IsOptional() @ValidateIf((_, v) => v !== null) @IsNumber({ allowNaN: false, allowInfinity: false, maxDecimalPlaces: 2 }) @Min(0.01) @Max(MAX_LIMIT_DAYS)
  resolveLimitDays?: number | null;
  /** 次日起算 */
  @IsOptional() @IsBoolean() startNextWorkingDay?: boolean;
  @IsOptional() @ValidateIf((_, v) => v !== null) @IsIn(UNIT_TYPES) defaultUnitType?: string | null;
}

export class CreateCategoryRequest {
  @Matches(CATALOGUE_CODE) code!: string;
  @IsIn(PLATFORM_CODES) platform!: string;
  @IsIn(LEVELS) level!: CategoryLevel;
  /** Required for minor (小类) and detail (细类) categories. */
  @IsOptional() @Matches(CATALOGUE_CODE) parentCode?: string;
  @IsString() @Length(1, 100) @Matches(TEXT) nameZh!: string;
  @IsString() @Length(1, 200) @Matches(TEXT) nameEn!: string;
  /** 所需材料 */
  @IsOptional() @IsArray() @ArrayMaxSize(MAX_MATERIALS) @ArrayUnique() @IsString({ each: true }) @Length(1, 100, { each: true }) @Matches(TEXT, { each: true })
  materials?: string[];
  @IsOptional() @IsArray() @ArrayMaxSize(MAX_STANDARDS) @ValidateNested({ each: true }) @Type(() => CaseStandardRequest)
  standards?: CaseStandardRequest[];
}

/** An edit: the fields to change; the rest carries over. A new version is written unless nothing differs. */
export class UpdateCategoryRequest {
  /** The version the editor read; a different current version is a conflict. */
  @IsOptional() @IsInt() @Min(1) expectedVersion?: number;
  @IsOptional() @IsString() @Length(1, 100) @Matches(TEXT) nameZh?: string;
  @IsOptional() @IsString() @Length(1, 200) @Matches(TEXT) nameEn?: string;
  @IsOptional() @IsArray() @ArrayMaxSize(MAX_MATERIALS) @ArrayUnique() @IsString({ each: true }) @Length(1, 100, { each: true }) @Matches(TEXT, { each: true })
  materials?: string[];
  /** Replaces the whole set of standards; omitted, the current standards are copied. */
  @IsOptional() @IsArray() @ArrayMaxSize(MAX_STANDARDS) @ValidateNested({ each: true }) @Type(() => CaseStandardRequest)
  standards?: CaseStandardRequest[];
}
