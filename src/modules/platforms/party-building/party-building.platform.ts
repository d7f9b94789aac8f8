import type { PlatformDefinition } from '../platform.types';
import type { CaseStandardSeed, CategorySeed } from '../platform-seed.types';

/** 智慧党建: wishes and tasks claimed by party-member volunteers (认领) rather than dispatched; hours recorded. */
export const PARTY_BUILDING: PlatformDefinition = {
  code: 'party_building',
  nameZh: '智慧党建',
  nameEn: 'Smart Party Building',
  attributes: [
    {
      code: 'wishType', nameZh: '事项类型', nameEn: 'Item type', type: 'enum', required: true,
      options: [
        { code: 'micro_wish', nameZh: '微心愿', nameEn: 'Micro-wish' },
        { code: 'dual_report', nameZh: '双报到任务', nameEn: 'Dual-reporting task' },
        { code: 'volunteer_service', nameZh: '志愿服务', nameEn: 'Volunteer service' },
      ],
    },
    // 受益人数
    { code: 'beneficiaryCount', nameZh: '受益人数', nameEn: 'Beneficiaries', type: 'number', required: false, integer: true, min: 0, max: 100000 },
  ],
};

const claimed = (days: number, filing: string, closing: string): CaseStandardSeed => ({
  code: 'standard', nameZh: '认领办理', nameEn: 'Claim and fulfil',
  filingConditionZh: filing, closingConditionZh: closing,
  priority: 'normal', clockType: 'working_days', resolveLimitDays: days, startNextWorkingDay: true, defaultUnitType: 'party_branch',
});

export const PARTY_BUILDING_CATEGORIES: CategorySeed[] = [
  { code: 'PB01', level: 'major', nameZh: '微心愿', nameEn: 'Micro-wishes',
    standards: [claimed(15, '困难群众、留守儿童等提出价值不高的具体心愿，经社区审核发布', '心愿已由党员认领并实现，受助人确认')] },
  { code: 'PB0101', level: 'minor', parentCode: 'PB01', nameZh: '助学心愿', nameEn: 'Study wishes',
    standards: [claimed(15, '困难家庭学生的学习用品等心愿', '学习用品已送达，受助人确认')] },
  { code: 'PB02', level: 'major', nameZh: '双报到任务', nameEn: 'Dual-reporting tasks',
    standards: [claimed(10, '在职党员到社区报到后，社区发布的服务任务', '任务已完成，记录服务时长')] },
  { code: 'PB03', level: 'major', nameZh: '志愿服务', nameEn: 'Volunteer service',
    standards: [claimed(10, '社区组织的志愿服务活动需要党员志愿者', '活动已完成，记录志愿服务时长')] },
  { code: 'PB04', level: 'major', nameZh: '结对帮扶', nameEn: 'Paired assistance',
    standards: [claimed(20, '党员与困难群众结对，需定期走访帮扶', '已完成走访帮扶并记录')] },
  { code: 'PB05', level: 'major', nameZh: '新时代文明实践', nameEn: 'Civilisation practice activities',
    standards: [claimed(10, '社区新时代文明实践站发布的宣讲、文体等活动', '活动已开展并记录参与人数')] },
];
