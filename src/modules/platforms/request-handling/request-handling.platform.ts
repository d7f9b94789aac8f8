import type { PlatformDefinition } from '../platform.types';
import { HOUR, type CaseStandardSeed, type CategorySeed } from '../platform-seed.types';

/** 诉求办理: residents' complaints, requests and suggestions (12345-style), with 先行联系 and 回访. */
export const REQUEST_HANDLING: PlatformDefinition = {
  code: 'request_handling',
  nameZh: '诉求办理',
  nameEn: 'Request Handling',
  attributes: [
    {
      code: 'requestType', nameZh: '诉求类型', nameEn: 'Request type', type: 'enum', required: true,
      options: [
        { code: 'complaint', nameZh: '投诉', nameEn: 'Complaint' },
        { code: 'request', nameZh: '求助', nameEn: 'Request for help' },
        { code: 'suggestion', nameZh: '建议', nameEn: 'Suggestion' },
        { code: 'consultation', nameZh: '咨询', nameEn: 'Consultation' },
      ],
    },
    // 匿名: the resident asked not to be named to the handling unit.
    { code: 'anonymous', nameZh: '匿名', nameEn: 'Anonymous', type: 'boolean', required: false },
  ],
};

// Limits count from the next working day (次日起算), as 12345 hotlines do.
const within = (days: number, filing: string, closing: string): CaseStandardSeed => ({
  code: 'standard', nameZh: '一般诉求', nameEn: 'Standard',
  filingConditionZh: filing, closingConditionZh: closing,
  priority: 'normal', clockType: 'working_days', resolveLimitDays: days, startNextWorkingDay: true,
});

const urgent = (): CaseStandardSeed => ({
  code: 'urgent', nameZh: '紧急诉求', nameEn: 'Urgent',
  filingConditionZh: '涉及人身财产安全、停水停电停暖等需立即处置的诉求',
  closingConditionZh: '险情已排除或已提供帮助，并已回访诉求人',
  priority: 'urgent', clockType: 'natural', resolveLimitSeconds: 2 * HOUR,
});

export const REQUEST_HANDLING_CATEGORIES: CategorySeed[] = [
  { code: 'RH01', level: 'major', nameZh: '投诉', nameEn: 'Complaints',
    standards: [within(5, '居民对公共服务、市场主体或管理行为的投诉', '已核实处理并答复诉求人，回访记录满意度'), urgent()] },
  { code: 'RH0101', level: 'minor', parentCode: 'RH01', nameZh: '供暖投诉', nameEn: 'Heating complaints',
    standards: [within(3, '供暖期室温不达标或停暖', '已恢复供暖或说明原因，回访记录满意度'), urgent()] },
  { code: 'RH0102', level: 'minor', parentCode: 'RH01', nameZh: '噪声投诉', nameEn: 'Noise complaints',
    standards: [within(5, '商业经营、娱乐活动等噪声扰民', '噪声源已整改，回访记录满意度')] },
  { code: 'RH02', level: 'major', nameZh: '求助', nameEn: 'Requests for help',
    standards: [within(5, '居民在生活中遇到困难请求帮助', '已提供帮助或说明办理途径，回访记录满意度'), urgent()] },
  { code: 'RH03', level: 'major', nameZh: '建议', nameEn: 'Suggestions',
    standards: [within(10, '居民对社区建设、公共管理提出意见建议', '已研究并答复建议人')] },
  { code: 'RH04', level: 'major', nameZh: '咨询', nameEn: 'Consultations',
    standards: [within(1, '居民咨询政策、办事流程等', '已解答并告知办理途径')] },
  { code: 'RH05', level: 'major', nameZh: '举报', nameEn: 'Reports of violations',
    standards: [within(10, '居民举报违法违规行为', '已核查处理并答复举报人（匿名举报除外）')] },
];
