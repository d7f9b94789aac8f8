import { randomUUID } from 'node:crypto';

/** Hostile values shared by the input sweeps (test/e2e/route-sweep.e2e-spec.ts, test/e2e/open311-sweep.e2e-spec.ts). */
/** Dates and instants that parse badly or overflow: Feb 30th, year 0 and 275760, offsets out of range (ISO 8601 takes ±23:59, Postgres ±15:59). */
export const BAD_DATES = ['2026-02-30', '2026-13-01', '0000-01-01', '+275760-09-13T00:00:00Z', '2026-01-01T25:00:00Z', '2026-01-01T00:00:00+25:00', '2026-01-01T00:00:00+20:00', '2026-01-01T00:00:00-16:30', '1e10', 'infinity', '-infinity', 'now', ''];
export const BAD_STRINGS = [
  '', ' ', '\u200b', '%', '_', '\\', "'; DROP TABLE tickets; --", '𠮷'.repeat(60), '🚧', 'a'.repeat(5001), '../../etc/passwd', '{}', 'null',
  ...BAD_DATES.slice(0, 8),
];
export const BAD_NUMBERS = [-1, 0, 0.5, 1.5, 2147483648, -2147483649, 9007199254740993, 1e308, -1e308];
export const BAD_IDS = ['x', '0', '-1', '00000000-0000-0000-0000-000000000000', randomUUID(), '%F0%9F%9A%A7', 'a'.repeat(300), '..%2F..%2Fetc', "'%20OR%201=1", '%E2%80%8B', '%E0%A4%A', '%', '%00'];
