/** The five platforms of 一网五平台 (SPEC §4). */
export type PlatformCode = 'community_governance' | 'dispute_resolution' | 'request_handling' | 'convenience_services' | 'party_building';

export const PLATFORM_CODES: readonly PlatformCode[] = [
  'community_governance', 'dispute_resolution', 'request_handling', 'convenience_services', 'party_building',
];

/** One platform-specific attribute of a ticket, validated at intake. */
export interface AttributeSpec {
  code: string;
  nameZh: string;
  nameEn: string;
  type: 'string' | 'number' | 'boolean' | 'enum' | 'string_list' | 'parties';
  required: boolean;
  /** Personal data: encrypted at rest, masked in every response. */
  personal?: boolean;
  options?: Array<{ code: string; nameZh: string; nameEn: string }>;
  /** string, string_list items and party names: at most this many characters (default 200). */
  maxLength?: number;
  /** string: a calendar date written YYYY-MM-DD. */
  format?: 'date';
  /** number: an integer within [min, max]. */
  integer?: boolean;
  min?: number;
  max?: number;
  /** string_list and parties: at most this many items (default 50 and 20). */
  maxItems?: number;
}

export interface AttributeCheck {
  ok: boolean;
  /** Normalised attributes (only declared keys), when ok. */
  value: Record<string, unknown>;
  errors: Array<{ field: string; message: string }>;
}

export interface PlatformDefinition {
  code: PlatformCode;
  nameZh: string;
  nameEn: string;
  attributes: AttributeSpec[];
}
