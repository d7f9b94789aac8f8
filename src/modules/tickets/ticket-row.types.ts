/** A row of `tickets` as the repositories read it (grid_path as text). Shared with other modules as a type only. */
export interface TicketRow {
  id: string;
  number: string;
  platform: string;
  category_id: string;
  category_code: string;
  case_standard_id: string | null;
  priority: string;
  title: string;
  description: string;
  address: string | null;
  lat: number | null;
  lng: number | null;
  grid_node_id: string;
  grid_path: string;
  channel: string;
  /** Links to the filer's own media (migration 1764300430000). */
  media_urls?: string[];
  reporter_name_enc: string | null;
  reporter_phone_enc: string | null;
  personal_enc: string | null;
  attributes: Record<string, unknown>;
  status: string;
  previous_status: string | null;
  unit_id: string | null;
  co_unit_ids: string[];
  handler_id: string | null;
  /** The dispatch catalogue's proposal 建议派往单位 and the rule that made it (migration 1764400100000). */
  suggested_unit_id?: string | null;
  suggested_by_rule_id?: string | null;
  filed_by: string | null;
  resolved_by: string | null;
  parent_id: string | null;
  first_contact_at: Date | null;
  extension_pending_seconds: number | null;
  suspension_pending: boolean;
  bounce_count: number;
  ownerless: boolean;
  supervision_count: number;
  /**
   * 预警标记 SLA alert flag: the highest colour fired on the ticket's live clocks, and when it took that colour
   * (migration 1764400000000; written by the SLA firing and by clock stops, never by an action's patch).
   */
  sla_alert?: 'blue' | 'yellow' | 'red' | null;
  sla_alerted_at?: Date | null;
  materials_complete: boolean | null;
  mediation_session_count: number;
  mediation_outcome: string | null;
  mediation_referral: string | null;
  volunteer_hours: string | null;
  callback: Record<string, unknown> | null;
  dispatched_at: Date | null;
  resolved_at: Date | null;
  closed_at: Date | null;
  version: number;
  created_at: Date;
  updated_at: Date;
  /**
   * Whether the reader may see the ticket's content (dispute rule, computed in SQL by `contentClause` for the
   * caller). Set by scoped reads; absent on rows read without a caller, which the mapper then treats as
   * restricted for a dispute (fail closed).
   */
  content_visible?: boolean | null;
  /** created_at to the microsecond, for cursors (a JS Date keeps only milliseconds). */
  created_at_exact?: string;
}
