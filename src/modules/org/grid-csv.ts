import { parse } from 'csv-parse/sync';

/** One row of a grid-tree import: `code,parent_code,name,level[,lat,lng]` with a header line. */
export interface GridCsvRow {
  line: number;
  code: string;
  parentCode: string;
  name: string;
  level: string;
  lat: number | null;
  lng: number | null;
}

export const GRID_CSV_COLUMNS = ['code', 'parent_code', 'name', 'level', 'lat', 'lng'] as const;
export const GRID_CSV_MAX_ROWS = 100_000;

/** Parses and checks a grid CSV; returns every problem found (line and message), not only the first. */
export function parseGridCsv(text: string): { rows: GridCsvRow[]; errors: Array<{ field: string; message: string }> } {
  const errors: Array<{ field: string; message: string }> = [];
  let records: string[][];
  try {
    records = parse(text.replace(/^\uFEFF/, ''), { relax_column_count: true, skip_empty_lines: true, trim: true });
  } catch (err) {
    return { rows: [], errors: [{ field: 'csv', message: (err as Error).message }] };
  }
  const header = records.shift()?.map((h) => h.toLowerCase());
  if (!header || GRID_CSV_COLUMNS.slice(0, 4).some((c, i) => header[i] !== c)) {
    return { rows: [], errors: [{ field: 'header', message: `header must start with ${GRID_CSV_COLUMNS.join(',')} / 表头应为 ${GRID_CSV_COLUMNS.join(',')}` }] };
  }
  if (records.length > GRID_CSV_MAX_ROWS) {
    return { rows: [], errors: [{ field: 'csv', message: `at most ${GRID_CSV_MAX_ROWS} rows per import / 每次最多导入 ${GRID_CSV_MAX_ROWS} 行` }] };
  }
  const rows: GridCsvRow[] = [];
  const seen = new Set<string>();
  records.forEach((r, i) => {
    const line = i + 2;
    const [code = '', parentCode = '', name = '', level = '', lat = '', lng = ''] = r;
    const bad = (field: string, message: string) => errors.push({ field: `line ${line}: ${field}`, message });
    if (!/^[0-9A-Za-z_]{1,40}$/.test(code)) bad('code', 'letters, digits or _ (1–40) / 编码只能包含字母、数字、下划线');
    else if (seen.has(code)) bad('code', 'duplicate code in file / 文件中编码重复');
    seen.add(code);
    if (!/^[0-9A-Za-z_]{1,40}$/.test(parentCode)) bad('parent_code', 'required / 必填');
    if (name.length < 1 || name.length > 100 || /\p{Cc}/u.test(name)) bad('name', '1–100 characters, no control characters / 1–100 个字符');
    if (!/^[a-z_]{1,30}$/.test(level)) bad('level', 'lower-case level name such as street, community, grid / 层级名称');
    const latN = lat === '' ? null : Number(lat);
    const lngN = lng === '' ? null : Number(lng);
    if (latN !== null && !(Number.isFinite(latN) && latN >= -90 && latN <= 90)) bad('lat', 'latitude -90..90');
    if (lngN !== null && !(Number.isFinite(lngN) && lngN >= -180 && lngN <= 180)) bad('lng', 'longitude -180..180');
    if ((latN === null) !== (lngN === null)) bad(latN === null ? 'lat' : 'lng', 'lat and lng go together / 经纬度须同时提供');
    rows.push({ line, code, parentCode, name, level, lat: latN, lng: lngN });
  });
  return { rows, errors };
}
