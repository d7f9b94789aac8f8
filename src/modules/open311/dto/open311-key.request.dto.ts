import { IsInt, IsOptional, IsString, IsUUID, Length, Matches, Max, Min } from 'class-validator';

/** Creates an Open311 API key for one client (an app, another city's tool), scoped to a grid subtree. */
export class CreateOpen311KeyRequest {
  @IsString() @Length(1, 100) @Matches(/^[^\p{Cc}]+$/u) name!: string;
  /** 辖区: filings with this key must lie in this grid node's subtree. */
  @IsUUID() jurisdictionNodeId!: string;
  /** Requests per minute for this key (default 60); a JSON number ("60" is refused, never converted). */
  @IsOptional() @IsInt() @Min(1) @Max(100000) rateLimitPerMinute?: number;
}
