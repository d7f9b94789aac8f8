import type { DataSource, EntityManager } from 'typeorm';

/** The demo city of SPEC §13: a small Fuxin with one account per role. Only ever seeded in demo mode and tests. */
export const DEMO_PASSWORD = 'Demo@2026!';

export interface DemoNode { code: string; name: string; level: string; parent?: string; lat?: number; lng?: number }
export interface DemoUnit { code: string; nameZh: string; nameEn: string; type: string; node: string }
export interface DemoUser { username: string; displayName: string; role: string; node: string; unit?: string; description: string }

export const DEMO_NODES: DemoNode[] = [
  { code: '210900', name: '阜新市', level: 'city', lat: 42.0217, lng: 121.6700 },
  { code: '210902', name: '海州区', level: 'district', parent: '210900' },
  { code: '210903', name: '新邱区', level: 'district', parent: '210900' },
  { code: '210904', name: '太平区', level: 'district', parent: '210900' },
  { code: '210905', name: '清河门区', level: 'district', parent: '210900' },
  { code: '210911', name: '细河区', level: 'district', parent: '210900' },
  { code: '210921', name: '阜新蒙古族自治县', level: 'county', parent: '210900' },
  { code: '210922', name: '彰武县', level: 'county', parent: '210900' },
  { code: '210902001', name: '站前街道', level: 'street', parent: '210902' },
  { code: '210902001001', name: '电务社区', level: 'community', parent: '210902001', lat: 42.0265, lng: 121.6602 },
  { code: '210902001001001', name: '电务社区第一网格', level: 'grid', parent: '210902001001', lat: 42.0268, lng: 121.6598 },
  { code: '210902001001001001', name: '电务小区1号楼', level: 'building', parent: '210902001001001', lat: 42.0270, lng: 121.6595 },
  { code: '210902001001001002', name: '电务小区2号楼', level: 'building', parent: '210902001001001', lat: 42.0271, lng: 121.6601 },
  { code: '210902001001001003', name: '电务小区3号楼', level: 'building', parent: '210902001001001', lat: 42.0266, lng: 121.6606 },
  { code: '210902001001002', name: '电务社区第二网格', level: 'grid', parent: '210902001001', lat: 42.0259, lng: 121.6612 },
  { code: '210902001002', name: '站前社区', level: 'community', parent: '210902001' },
  { code: '210911001', name: '四合街道', level: 'street', parent: '210911' },
  { code: '210911001001', name: '四合社区', level: 'community', parent: '210911001' },
];

export const DEMO_UNITS: DemoUnit[] = [
  { code: 'FX-CC', nameZh: '阜新市城市运行管理指挥中心', nameEn: 'Fuxin City Operations Command Centre', type: 'command_centre', node: '210900' },
  { code: 'HZ-CC', nameZh: '海州区指挥中心', nameEn: 'Haizhou District Command Centre', type: 'command_centre', node: '210902' },
  { code: 'XH-CC', nameZh: '细河区指挥中心', nameEn: 'Xihe District Command Centre', type: 'command_centre', node: '210911' },
  { code: 'FX-SZSS', nameZh: '阜新市市政设施服务中心', nameEn: 'Fuxin Municipal Facilities Service Centre', type: 'bureau', node: '210900' },
  { code: 'FX-WATER', nameZh: '阜新市自来水有限公司', nameEn: 'Fuxin Water Supply Company', type: 'utility', node: '210900' },
  { code: 'FX-CGJ', nameZh: '阜新市城市管理综合行政执法局', nameEn: 'Fuxin City Management Bureau', type: 'bureau', node: '210900' },
  { code: 'HZ-ZQ-TJW', nameZh: '站前街道人民调解委员会', nameEn: 'Zhanqian Street People\'s Mediation Committee', type: 'mediation_committee', node: '210902001' },
  { code: 'HZ-DW-DZB', nameZh: '电务社区党支部', nameEn: 'Dianwu Community Party Branch', type: 'party_branch', node: '210902001001' },
  { code: 'HZ-BMFW', nameZh: '海州区便民服务中心', nameEn: 'Haizhou Convenience Service Centre', type: 'service_centre', node: '210902' },
];

export const DEMO_USERS: DemoUser[] = [
  { username: 'demo.admin', displayName: '系统管理员', role: 'admin', node: '210900', description: 'admin 管理员 (阜新市)' },
  { username: 'demo.dispatcher', displayName: '海州区调度员', role: 'dispatcher', node: '210902', unit: 'HZ-CC', description: 'dispatcher 调度员 (海州区指挥中心)' },
  { username: 'demo.handler', displayName: '市政设施承办人', role: 'handler', node: '210900', unit: 'FX-SZSS', description: 'handler 承办人 (市政设施服务中心)' },
  { username: 'demo.grid', displayName: '电务社区1号楼楼长', role: 'grid_worker', node: '210902001001001', description: 'grid_worker 网格员 (电务社区楼长)' },
  { username: 'demo.official', displayName: '海州区领导', role: 'official', node: '210902', description: 'official 领导 (海州区)' },
  { username: 'demo.auditor', displayName: '安全审计员', role: 'auditor', node: '210900', description: 'auditor 审计员' },
];

/** Seeds the demo city once (idempotent: an existing city is left as it is). */
export async function seedDemoCity(ds: DataSource, hashPassword: (p: string) => Promise<string>): Promise<{ seeded: boolean }> {
  const existing: unknown[] = await ds.query(`SELECT 1 FROM grid_nodes WHERE code = '210900'`);
  if (existing.length > 0) return { seeded: false };
  const hash = await hashPassword(DEMO_PASSWORD);
  await ds.transaction(async (m: EntityManager) => {
    for (const n of DEMO_NODES) {
      await m.query(
        `INSERT INTO grid_nodes (parent_id, code, name, level, depth, path, lat, lng)
         SELECT p.id, $1, $2, $3, coalesce(p.depth + 1, 0), CASE WHEN p.id IS NULL THEN text2ltree($7) ELSE p.path || text2ltree($7) END, $5, $6
           FROM (SELECT 1) x LEFT JOIN grid_nodes p ON p.code = $4`,
        [n.code, n.name, n.level, n.parent ?? null, n.lat ?? null, n.lng ?? null, n.code]);
    }
    for (const u of DEMO_UNITS) {
      await m.query(
        `INSERT INTO units (code, name_zh, name_en, type, jurisdiction_node_id) SELECT $1, $2, $3, $4, id FROM grid_nodes WHERE code = $5`,
        [u.code, u.nameZh, u.nameEn, u.type, u.node]);
    }
    for (const u of DEMO_USERS) {
      await m.query(
        `INSERT INTO users (username, display_name, role, scope_node_id, unit_id, password_hash, is_demo)
         SELECT $1, $2, $3, g.id, un.id, $6, true FROM grid_nodes g LEFT JOIN units un ON un.code = $5 WHERE g.code = $4`,
        [u.username, u.displayName, u.role, u.node, u.unit ?? null, hash]);
    }
  });
  return { seeded: true };
}
