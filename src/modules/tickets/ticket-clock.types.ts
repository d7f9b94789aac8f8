/** A row of `ticket_clocks`: one run of one stage's clock (立案, 签收, 处置, 核查, 回访, 调解). */
export interface ClockRow {
  id: string;
  ticket_id: string;
  stage: string;
  state: 'running' | 'paused' | 'stopped';
  clock_type: 'natural' | 'working_hours' | 'working_days';
  limit_seconds: number | null;
  limit_days: string | null;
  start_next_working_day: boolean;
  extension_seconds: number;
  started_at: Date;
  stopped_at: Date | null;
  paused_at: Date | null;
  pauses: Array<{ from: string; to: string }>;
  deadline: Date | null;
  calendar_versions: Record<string, number>;
  clock_version: number;
  /** Set by the SLA engine (migration 1764230800000-sla). */
  policy_code: string | null;
  policy_version: number | null;
  calendar_key: string | null;
  thresholds_fired: string[];
  level: 'blue' | 'yellow' | 'red' | null;
}
