import { isPlatformCode } from '../platforms/platform-registry';
import type { PlatformCode } from '../platforms/platform.types';

/**
 * What Open311 may publish of a ticket (the publication policy, docs/open311.md#publication-policy).
 *
 * GeoReport reads are public and may be anonymous, so a ticket is published only when its platform deals
 * with public space or the resident chose the public channel themselves:
 * - `full`: service, status, unit, dates, and the free text as filed (description, address, public notes),
 *   scrubbed of whatever looks like a phone number, ID number or e-mail;
 * - `redacted`: no free text at all (no description, no address, status_notes without the staff's note) and
 *   coordinates rounded to {@link REDACTED_COORDINATE_DECIMALS} decimals;
 * - `none`: never listed, never found (404, as for an unknown number).
 */
export type Publication = 'full' | 'redacted' | 'none';

/**
 * Per platform (every platform must have one: a new platform does not compile until it is decided): the
 * publication of tickets filed through Open311, and of tickets filed by staff (any other channel).
 */
export const PUBLICATION_POLICY: Readonly<Record<PlatformCode, { open311: Publication; staff: Publication }>> = {
  // 社区治理: 部件 and 事件 in public space. Staff text may still name people (违法建设 at someone's house).
  community_governance: { open311: 'full', staff: 'redacted' },
  // 诉求办理: a hotline call is a private conversation; even category and place of a 噪声投诉 point at the caller.
  request_handling: { open311: 'full', staff: 'none' },
  // 便民服务: welfare (低保, 残疾人证, 高龄补贴) is about a named person's income, health, age.
  convenience_services: { open311: 'none', staff: 'none' },
  // 智慧党建: 微心愿 are named residents' wishes; party members' activity is not public either.
  party_building: { open311: 'none', staff: 'none' },
  // 纠纷化解: visible only to the assigned mediators (SPEC §4).
  dispute_resolution: { open311: 'none', staff: 'none' },
};

/** ≈ 110 m north–south, ≈ 80 m east–west at Fuxin's 42°N: the street block, not the doorway. */
export const REDACTED_COORDINATE_DECIMALS = 3;

/** The publication of one ticket; a platform not in the policy is never published (deny by default). */
export function publicationOf(platform: string, filedThroughOpen311: boolean): Publication {
  if (!isPlatformCode(platform)) return 'none';
  const policy = PUBLICATION_POLICY[platform];
  return filedThroughOpen311 ? policy.open311 : policy.staff;
}

/** The platforms whose tickets filed this way are published at all (for the read model's WHERE clause). */
export function publishedPlatforms(filedThroughOpen311: boolean): string[] {
  return (Object.keys(PUBLICATION_POLICY) as PlatformCode[]).filter((p) => publicationOf(p, filedThroughOpen311) !== 'none');
}

export function roundCoordinate(v: number | null): number | null {
  if (v === null) return null;
  const f = 10 ** REDACTED_COORDINATE_DECIMALS;
  return Math.round(v * f) / f;
}
