import type { PlatformDefinition } from '../platform.types';
import { HOUR, type CaseStandardSeed, type CategorySeed } from '../platform-seed.types';

/** 社区治理: grid patrol findings, 部件 (components) and 事件 (events) of the 数字城管 classification. */
export const COMMUNITY_GOVERNANCE: PlatformDefinition = {
  code: 'community_governance',
  nameZh: '社区治理',
  nameEn: 'Community Governance',
  attributes: [
    // 部件编码: the surveyed component's identifier, when the patrol found it on the component map.
    { code: 'componentId', nameZh: '部件标识码', nameEn: 'Component ID', type: 'string', required: false, maxLength: 64 },
    // 自行处置: the grid worker fixed it on the spot.
    { code: 'selfHandled', nameZh: '自行处置', nameEn: 'Handled on the spot', type: 'boolean', required: false },
  ],
};

/** GB/T 30428.2 manhole covers (井盖), 小类 0101–0114. */
const MANHOLE_COVERS: Array<[string, string, string]> = [
  ['0101', '上水井盖', 'Water supply manhole cover'],
  ['0102', '污水井盖', 'Sewage manhole cover'],
  ['0103', '雨水井盖', 'Storm drain manhole cover'],
  ['0104', '雨水箅子', 'Storm drain grate'],
  ['0105', '电力井盖', 'Electric power manhole cover'],
  ['0106', '路灯井盖', 'Street lighting manhole cover'],
  ['0107', '通信井盖', 'Telecommunications manhole cover'],
  ['0108', '电视井盖', 'Cable TV manhole cover'],
  ['0109', '网络井盖', 'Network manhole cover'],
  ['0110', '热力井盖', 'District heating manhole cover'],
  ['0111', '燃气井盖', 'Gas manhole cover'],
  ['0112', '公安井盖', 'Public security manhole cover'],
  ['0113', '无主井盖', 'Ownerless manhole cover'],
  ['0114', '其他井盖', 'Other manhole cover'],
];

const manholeStandards = (): CaseStandardSeed[] => [
  {
    code: 'missing', nameZh: '缺失', nameEn: 'Missing',
    filingConditionZh: '井盖（箅子）缺失或丢失，井口敞开，存在安全隐患',
    closingConditionZh: '已补装井盖（箅子），盖座吻合、安装牢固，现场已无安全隐患',
    priority: 'urgent', clockType: 'natural', resolveLimitSeconds: 4 * HOUR, defaultUnitType: 'bureau',
  },
  {
    code: 'damaged', nameZh: '破损/松动', nameEn: 'Damaged or loose',
    filingConditionZh: '井盖（箅子）破损、松动、移位、凹陷或有响动',
    closingConditionZh: '井盖（箅子）已更换或修复，平稳、无响动、与路面平齐',
    // 16 working hours: a little over 2 working days of the national calendar (7.5 working hours a day).
    priority: 'normal', clockType: 'working_hours', resolveLimitSeconds: 16 * HOUR, defaultUnitType: 'bureau',
  },
];

const componentDamaged = (unit: string, hours = 16): CaseStandardSeed[] => [{
  code: 'damaged', nameZh: '破损', nameEn: 'Damaged',
  filingConditionZh: '设施破损、缺失或功能异常',
  closingConditionZh: '设施已修复或更换，恢复正常使用',
  priority: 'normal', clockType: 'working_hours', resolveLimitSeconds: hours * HOUR, defaultUnitType: unit,
}];

const eventFound = (unit: string, priority: CaseStandardSeed['priority'], clock: 'natural' | 'working_hours', hours: number,
  filing: string, closing: string): CaseStandardSeed[] => [{
  code: 'found', nameZh: '发现即立案', nameEn: 'Found on patrol',
  filingConditionZh: filing, closingConditionZh: closing,
  priority, clockType: clock, resolveLimitSeconds: hours * HOUR, defaultUnitType: unit,
}];

/**
 * The demo catalogue of 社区治理. 部件 大类 01–06 and their 小类 use the numeric GB/T 30428.2 codes;
 * 事件 大类 carry the prefix `SJ` (事件) because the standard numbers events in the same 01.. ranges.
 */
export const COMMUNITY_GOVERNANCE_CATEGORIES: CategorySeed[] = [
  // 部件 (components)
  { code: '01', level: 'major', nameZh: '公用设施', nameEn: 'Public utilities' },
  ...MANHOLE_COVERS.map(([code, nameZh, nameEn]): CategorySeed => ({
    code, level: 'minor', parentCode: '01', nameZh, nameEn, standards: manholeStandards(),
  })),
  { code: '0115', level: 'minor', parentCode: '01', nameZh: '路灯', nameEn: 'Street light', standards: componentDamaged('bureau') },
  { code: '0116', level: 'minor', parentCode: '01', nameZh: '消防栓', nameEn: 'Fire hydrant', standards: componentDamaged('utility', 8) },
  { code: '02', level: 'major', nameZh: '道路交通设施', nameEn: 'Road traffic facilities' },
  { code: '0201', level: 'minor', parentCode: '02', nameZh: '停车场', nameEn: 'Car park', standards: componentDamaged('bureau') },
  { code: '0203', level: 'minor', parentCode: '02', nameZh: '公交站亭', nameEn: 'Bus shelter', standards: componentDamaged('bureau') },
  { code: '0207', level: 'minor', parentCode: '02', nameZh: '交通标志牌', nameEn: 'Traffic sign', standards: componentDamaged('bureau') },
  { code: '0208', level: 'minor', parentCode: '02', nameZh: '交通信号灯', nameEn: 'Traffic signal', standards: componentDamaged('bureau', 4) },
  { code: '0210', level: 'minor', parentCode: '02', nameZh: '护栏', nameEn: 'Guard rail', standards: componentDamaged('bureau') },
  { code: '03', level: 'major', nameZh: '市容环境设施', nameEn: 'City appearance facilities' },
  { code: '0301', level: 'minor', parentCode: '03', nameZh: '公共厕所', nameEn: 'Public toilet', standards: componentDamaged('bureau', 8) },
  { code: '0304', level: 'minor', parentCode: '03', nameZh: '垃圾箱', nameEn: 'Litter bin', standards: componentDamaged('bureau', 8) },
  { code: '04', level: 'major', nameZh: '园林绿化设施', nameEn: 'Landscaping and greening facilities' },
  { code: '0402', level: 'minor', parentCode: '04', nameZh: '行道树', nameEn: 'Street tree', standards: componentDamaged('bureau', 24) },
  { code: '0405', level: 'minor', parentCode: '04', nameZh: '绿地', nameEn: 'Green space', standards: componentDamaged('bureau', 24) },
  { code: '05', level: 'major', nameZh: '房屋土地', nameEn: 'Buildings and land' },
  { code: '0501', level: 'minor', parentCode: '05', nameZh: '房屋', nameEn: 'Building', standards: componentDamaged('street_office', 40) },
  { code: '0502', level: 'minor', parentCode: '05', nameZh: '空闲地块', nameEn: 'Vacant lot', standards: componentDamaged('street_office', 40) },
  { code: '06', level: 'major', nameZh: '其他设施', nameEn: 'Other facilities' },
  { code: '0601', level: 'minor', parentCode: '06', nameZh: '健身设施', nameEn: 'Fitness equipment', standards: componentDamaged('street_office', 24) },
  { code: '0602', level: 'minor', parentCode: '06', nameZh: '监控电子眼', nameEn: 'CCTV camera', standards: componentDamaged('bureau', 24) },

  // 事件 (events)
  { code: 'SJ01', level: 'major', nameZh: '市容环境', nameEn: 'City appearance and environment' },
  { code: 'SJ0101', level: 'minor', parentCode: 'SJ01', nameZh: '暴露垃圾', nameEn: 'Exposed garbage',
    standards: eventFound('bureau', 'normal', 'working_hours', 4, '公共区域有暴露垃圾、垃圾满溢', '垃圾已清运，现场清洁') },
  { code: 'SJ0102', level: 'minor', parentCode: 'SJ01', nameZh: '积存垃圾渣土', nameEn: 'Accumulated refuse and spoil',
    standards: eventFound('bureau', 'normal', 'working_hours', 8, '积存垃圾、渣土面积超过1平方米', '积存物已清除，现场清洁') },
  { code: 'SJ0103', level: 'minor', parentCode: 'SJ01', nameZh: '道路不洁', nameEn: 'Dirty road',
    standards: eventFound('bureau', 'normal', 'working_hours', 4, '道路有明显污渍、积存杂物', '路面已清扫干净') },
  { code: 'SJ02', level: 'major', nameZh: '宣传广告', nameEn: 'Publicity and advertising' },
  { code: 'SJ0201', level: 'minor', parentCode: 'SJ02', nameZh: '非法小广告', nameEn: 'Illegal flyers',
    standards: eventFound('bureau', 'normal', 'working_hours', 8, '墙面、设施上有乱贴乱画的小广告', '小广告已清除，墙面恢复原貌') },
  { code: 'SJ0202', level: 'minor', parentCode: 'SJ02', nameZh: '违规广告牌匾', nameEn: 'Unauthorised signboards',
    standards: eventFound('bureau', 'normal', 'working_hours', 40, '未经审批设置或破损的广告牌匾', '广告牌匾已拆除或整改') },
  { code: 'SJ03', level: 'major', nameZh: '施工管理', nameEn: 'Construction management' },
  { code: 'SJ0301', level: 'minor', parentCode: 'SJ03', nameZh: '施工扰民', nameEn: 'Construction noise',
    standards: eventFound('bureau', 'urgent', 'natural', 2, '夜间或禁止时段施工产生噪声扰民', '施工已停止或已取得夜间施工许可') },
  { code: 'SJ0302', level: 'minor', parentCode: 'SJ03', nameZh: '施工废弃料', nameEn: 'Construction waste',
    standards: eventFound('bureau', 'normal', 'working_hours', 16, '施工废弃料堆放在道路或公共区域', '废弃料已清运') },
  { code: 'SJ0303', level: 'minor', parentCode: 'SJ03', nameZh: '违法建设', nameEn: 'Illegal construction',
    standards: eventFound('bureau', 'normal', 'working_hours', 40, '未经规划许可正在建设的建筑物、构筑物', '违法建设已制止并依法处理') },
  { code: 'SJ04', level: 'major', nameZh: '突发事件', nameEn: 'Emergencies' },
  { code: 'SJ0401', level: 'minor', parentCode: 'SJ04', nameZh: '路面塌陷', nameEn: 'Road collapse',
    standards: eventFound('bureau', 'extra_urgent', 'natural', 2, '路面出现塌陷、空洞，危及通行安全', '已设置围挡并完成修复，恢复通行') },
  { code: 'SJ0402', level: 'minor', parentCode: 'SJ04', nameZh: '自来水管破裂', nameEn: 'Water main burst',
    standards: eventFound('utility', 'extra_urgent', 'natural', 2, '供水管道破裂跑水', '管道已抢修，恢复供水') },
  { code: 'SJ0403', level: 'minor', parentCode: 'SJ04', nameZh: '燃气管道泄漏', nameEn: 'Gas leak',
    standards: eventFound('utility', 'extra_urgent', 'natural', 1, '燃气管道或设施泄漏', '泄漏已排除，现场安全') },
  { code: 'SJ0404', level: 'minor', parentCode: 'SJ04', nameZh: '道路积水', nameEn: 'Flooded road',
    standards: eventFound('bureau', 'urgent', 'natural', 4, '道路积水影响通行', '积水已排除') },
  { code: 'SJ05', level: 'major', nameZh: '街面秩序', nameEn: 'Street order' },
  { code: 'SJ0501', level: 'minor', parentCode: 'SJ05', nameZh: '无照经营游商', nameEn: 'Unlicensed street vending',
    standards: eventFound('bureau', 'normal', 'working_hours', 4, '街面有无照流动经营', '经营者已劝离，现场秩序恢复') },
  { code: 'SJ0502', level: 'minor', parentCode: 'SJ05', nameZh: '占道经营', nameEn: 'Street-occupying business',
    standards: eventFound('bureau', 'normal', 'working_hours', 4, '店外占用道路、人行道经营', '占道物品已清理') },
  { code: 'SJ0503', level: 'minor', parentCode: 'SJ05', nameZh: '机动车乱停放', nameEn: 'Illegal parking',
    standards: eventFound('bureau', 'normal', 'working_hours', 2, '机动车在禁停区域或人行道停放', '车辆已驶离或已依法处理') },
];
