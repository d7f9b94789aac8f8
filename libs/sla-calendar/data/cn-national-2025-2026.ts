import type { CalendarDay, CalendarDefinition, DayName } from '../src/calendar.types';

// Source: 国务院办公厅关于2025年部分节假日安排的通知 (国办发明电〔2024〕12号) and
// 关于2026年部分节假日安排的通知 (国办发明电〔2025〕7号). Later years are imported with parseHolidaySchedule.

function days(from: string, to: string, name: DayName): CalendarDay[] {
  const out: CalendarDay[] = [];
  const end = Date.parse(`${to}T00:00:00Z`);
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= end; t += 86_400_000) {
    out.push({ date: new Date(t).toISOString().slice(0, 10), name });
  }
  return out;
}

function makeup(date: string, holiday: DayName): CalendarDay {
  return { date, name: { zh: `${holiday.zh}调休上班`, en: `${holiday.en ?? ''} make-up working day` } };
}

const NEW_YEAR: DayName = { zh: '元旦', en: "New Year's Day" };
const SPRING: DayName = { zh: '春节', en: 'Spring Festival' };
const QINGMING: DayName = { zh: '清明节', en: 'Qingming Festival' };
const LABOUR: DayName = { zh: '劳动节', en: 'Labour Day' };
const DRAGON_BOAT: DayName = { zh: '端午节', en: 'Dragon Boat Festival' };
const MID_AUTUMN: DayName = { zh: '中秋节', en: 'Mid-Autumn Festival' };
const NATIONAL: DayName = { zh: '国庆节', en: 'National Day' };
const NATIONAL_MID_AUTUMN: DayName = { zh: '国庆节、中秋节', en: 'National Day and Mid-Autumn Festival' };

const OFFICE_DAY = [
  { start: '08:30', end: '12:00' },
  { start: '13:30', end: '17:30' },
];

/**
 * The national calendar `cn-national` (version 1): Monday–Friday 08:30–12:00 and 13:30–17:30, with the
 * State Council (国务院办公厅) public holidays and make-up working days (调休) of 2025 and 2026.
 */
export const CN_NATIONAL_2025_2026: CalendarDefinition = {
  code: 'cn-national',
  version: 1,
  weekPeriods: { 1: OFFICE_DAY, 2: OFFICE_DAY, 3: OFFICE_DAY, 4: OFFICE_DAY, 5: OFFICE_DAY, 6: [], 7: [] },
  makeupTemplateWeekday: 1,
  holidays: [
    // 2025
    ...days('2025-01-01', '2025-01-01', NEW_YEAR),
    ...days('2025-01-28', '2025-02-04', SPRING),
    ...days('2025-04-04', '2025-04-06', QINGMING),
    ...days('2025-05-01', '2025-05-05', LABOUR),
    ...days('2025-05-31', '2025-06-02', DRAGON_BOAT),
    ...days('2025-10-01', '2025-10-08', NATIONAL_MID_AUTUMN),
    // 2026
    ...days('2026-01-01', '2026-01-03', NEW_YEAR),
    ...days('2026-02-15', '2026-02-23', SPRING),
    ...days('2026-04-04', '2026-04-06', QINGMING),
    ...days('2026-05-01', '2026-05-05', LABOUR),
    ...days('2026-06-19', '2026-06-21', DRAGON_BOAT),
    ...days('2026-09-25', '2026-09-27', MID_AUTUMN),
    ...days('2026-10-01', '2026-10-07', NATIONAL),
  ],
  workdays: [
    // 2025
    makeup('2025-01-26', SPRING), // Sunday
    makeup('2025-02-08', SPRING), // Saturday
    makeup('2025-04-27', LABOUR), // Sunday
    makeup('2025-09-28', NATIONAL_MID_AUTUMN), // Sunday
    makeup('2025-10-11', NATIONAL_MID_AUTUMN), // Saturday
    // 2026
    makeup('2026-01-04', NEW_YEAR), // Sunday
    makeup('2026-02-14', SPRING), // Saturday
    makeup('2026-02-28', SPRING), // Saturday
    makeup('2026-05-09', LABOUR), // Saturday
    makeup('2026-09-20', NATIONAL), // Sunday
    makeup('2026-10-10', NATIONAL), // Saturday
  ],
  closures: [],
};
