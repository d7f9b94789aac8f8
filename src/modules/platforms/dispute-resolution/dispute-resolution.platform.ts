import type { PlatformDefinition } from '../platform.types';
import { HOUR, type CaseStandardSeed, type CategorySeed } from '../platform-seed.types';

/**
 * 纠纷化解: disputes handled by people's mediation committees. The parties (当事人) are personal data:
 * encrypted at rest and masked in every response.
 */
export const DISPUTE_RESOLUTION: PlatformDefinition = {
  code: 'dispute_resolution',
  nameZh: '纠纷化解',
  nameEn: 'Dispute Resolution',
  attributes: [
    {
      code: 'disputeType', nameZh: '纠纷类型', nameEn: 'Dispute type', type: 'enum', required: true,
      options: [
        { code: 'neighbour', nameZh: '邻里纠纷', nameEn: 'Neighbour' },
        { code: 'family', nameZh: '婚姻家庭纠纷', nameEn: 'Marriage and family' },
        { code: 'property', nameZh: '物业纠纷', nameEn: 'Property management' },
        { code: 'labour', nameZh: '劳资纠纷', nameEn: 'Labour' },
        { code: 'other', nameZh: '其他纠纷', nameEn: 'Other' },
      ],
    },
    // 当事人: at least one applicant (申请人) and one respondent (被申请人).
    { code: 'parties', nameZh: '当事人', nameEn: 'Parties', type: 'parties', required: true, personal: true, maxLength: 50, maxItems: 20 },
  ],
};

// 一般在一个月内调结: mediation closes within a month (30 calendar days, natural time); extensions only
// with both parties' consent.
const mediation = (filing: string): CaseStandardSeed => ({
  code: 'mediation', nameZh: '调解', nameEn: 'Mediation',
  filingConditionZh: filing,
  closingConditionZh: '达成调解协议并履行，或调解不成已告知当事人通过诉讼、仲裁、信访等途径解决',
  priority: 'normal', clockType: 'natural', resolveLimitSeconds: 30 * 24 * HOUR, defaultUnitType: 'mediation_committee',
});

// 矛盾激化: a dispute that may turn violent is contacted the same day.
const escalating = (): CaseStandardSeed => ({
  code: 'escalating', nameZh: '矛盾激化', nameEn: 'Risk of escalation',
  filingConditionZh: '纠纷有激化苗头，可能引发治安案件、刑事案件或群体性事件',
  closingConditionZh: '已稳控双方情绪、消除现实危险，并转入调解或移交公安机关',
  priority: 'urgent', clockType: 'natural', resolveLimitSeconds: 24 * HOUR, defaultUnitType: 'mediation_committee',
});

export const DISPUTE_RESOLUTION_CATEGORIES: CategorySeed[] = [
  { code: 'DR01', level: 'major', nameZh: '邻里纠纷', nameEn: 'Neighbour disputes',
    standards: [mediation('邻里之间因相邻关系、生活琐事等产生纠纷，当事人申请调解'), escalating()] },
  { code: 'DR0101', level: 'minor', parentCode: 'DR01', nameZh: '噪声扰邻', nameEn: 'Noise between neighbours',
    standards: [mediation('邻里之间因生活噪声产生纠纷，当事人申请调解')] },
  { code: 'DR0102', level: 'minor', parentCode: 'DR01', nameZh: '漏水纠纷', nameEn: 'Water leakage between flats',
    standards: [mediation('上下楼层因漏水、渗水产生纠纷，当事人申请调解')] },
  { code: 'DR02', level: 'major', nameZh: '婚姻家庭纠纷', nameEn: 'Marriage and family disputes',
    standards: [mediation('因婚姻、赡养、抚养、继承等家庭关系产生纠纷，当事人申请调解'), escalating()] },
  { code: 'DR03', level: 'major', nameZh: '物业纠纷', nameEn: 'Property management disputes',
    standards: [mediation('业主与物业服务企业或业主之间因物业服务、费用等产生纠纷')] },
  { code: 'DR04', level: 'major', nameZh: '劳资纠纷', nameEn: 'Labour disputes',
    standards: [mediation('劳动者与用人单位因劳动报酬、劳动关系等产生纠纷'), escalating()] },
  { code: 'DR05', level: 'major', nameZh: '土地纠纷', nameEn: 'Land disputes',
    standards: [mediation('因土地承包、宅基地、边界等产生纠纷，当事人申请调解')] },
];
