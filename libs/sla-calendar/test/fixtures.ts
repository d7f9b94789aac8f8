import { CN_NATIONAL_2025_2026, type ResolvedCalendar, resolveCalendar } from '../index';

/** The national calendar of 2025–2026 as a resolved calendar. */
export const national: ResolvedCalendar = resolveCalendar([CN_NATIONAL_2025_2026]);

/** A Shanghai wall-clock time, e.g. `sh('2026-02-14T08:30')`. */
export function sh(localDateTime: string): Date {
  const withSeconds = localDateTime.length === 16 ? `${localDateTime}:00` : localDateTime;
  return new Date(`${withSeconds}+08:00`);
}

export const HOUR = 3600;
