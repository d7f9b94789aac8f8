import type { MigrationInterface, QueryRunner } from 'typeorm';

const NOTE = 'register and sign limits (migration 1764300310000)';

/**
 * 立案 and 签收 limits in the default policy, so that triage and unit inboxes are ordered by real deadlines. The
 * values are written out here as `DEFAULT_POLICY` (src/modules/sla/sla-policy.ts) had them when this was written:
 * a migration must not change when that constant does.
 */
const STAGE_LIMITS = {
  register: { byPriority: {
    extra_urgent: { type: 'natural', seconds: 900 },
    urgent: { type: 'natural', seconds: 1800 },
    normal: { type: 'working_hours', seconds: 3600 },
  } },
  sign: { byPriority: {
    extra_urgent: { type: 'natural', seconds: 900 },
    urgent: { type: 'natural', seconds: 1800 },
    normal: { type: 'working_hours', seconds: 7200 },
  } },
};

/**
 * A database seeded before the default policy had these limits (1764230800000 seeds `DEFAULT_POLICY` as version
 * 1) gets them as a new version of the default policy — only the stages the current version leaves without a
 * limit, so an administrator's own limits stay. Running clocks keep their versions (policies apply forward); a
 * database seeded with them already is left alone.
 */
export class SlaDefaultStageLimits1764300310000 implements MigrationInterface {
  name = 'SlaDefaultStageLimits1764300310000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `WITH cur AS (
         SELECT p.code, p.current_version, v.definition FROM sla_policies p
           JOIN sla_policy_versions v ON v.code = p.code AND v.version = p.current_version
          WHERE p.code = 'default' AND NOT (coalesce(v.definition->'stageLimits', '{}') ?& ARRAY['register', 'sign'])
          FOR UPDATE OF p),
       ins AS (
         INSERT INTO sla_policy_versions (code, version, definition, note)
         SELECT code, current_version + 1,
                jsonb_set(definition, '{stageLimits}', $1::jsonb || coalesce(definition->'stageLimits', '{}')), $2
           FROM cur RETURNING code, version)
       UPDATE sla_policies p SET current_version = ins.version, updated_at = now() FROM ins WHERE p.code = ins.code`,
      [JSON.stringify(STAGE_LIMITS), NOTE]);
  }

  async down(q: QueryRunner): Promise<void> {
    // The version goes only while it is the current one and no clock was computed with it.
    await q.query(
      `WITH gone AS (
         DELETE FROM sla_policy_versions v USING sla_policies p
          WHERE v.code = 'default' AND p.code = v.code AND v.version = p.current_version AND v.note = $1
            AND NOT EXISTS (SELECT 1 FROM ticket_clocks c WHERE c.policy_code = v.code AND c.policy_version = v.version)
         RETURNING v.code, v.version)
       UPDATE sla_policies p SET current_version = gone.version - 1, updated_at = now() FROM gone WHERE p.code = gone.code`,
      [NOTE]);
  }
}
