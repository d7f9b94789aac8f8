import type { PlatformDefinition } from '../platform.types';
import { HOUR, type CaseStandardSeed, type CategorySeed } from '../platform-seed.types';

/** 便民服务: errands on a resident's behalf, home visits, repairs; limits in working days, materials per category. */
export const CONVENIENCE_SERVICES: PlatformDefinition = {
  code: 'convenience_services',
  nameZh: '便民服务',
  nameEn: 'Convenience Services',
  attributes: [
    {
      code: 'serviceType', nameZh: '服务方式', nameEn: 'Service type', type: 'enum', required: true,
      options: [
        { code: 'errand', nameZh: '帮办代办', nameEn: 'Errand' },
        { code: 'home_visit', nameZh: '上门服务', nameEn: 'Home visit' },
        { code: 'repair', nameZh: '维修', nameEn: 'Repair' },
      ],
    },
    // 预约日期
    { code: 'appointmentDate', nameZh: '预约日期', nameEn: 'Appointment date', type: 'string', required: false, format: 'date', maxLength: 10 },
  ],
};

const service = (days: number, filing: string, closing: string): CaseStandardSeed => ({
  code: 'standard', nameZh: '一般办理', nameEn: 'Standard',
  filingConditionZh: filing, closingConditionZh: closing,
  priority: 'normal', clockType: 'working_days', resolveLimitDays: days, startNextWorkingDay: true, defaultUnitType: 'service_centre',
});

const ID = ['居民身份证', '户口簿'];

export const CONVENIENCE_SERVICES_CATEGORIES: CategorySeed[] = [
  { code: 'CS01', level: 'major', nameZh: '帮办代办', nameEn: 'Errands on residents\' behalf', materials: [...ID, '委托书'],
    standards: [service(3, '行动不便或不熟悉流程的居民委托代办政务服务事项', '事项已办结，办理结果和材料原件已交还居民')] },
  { code: 'CS0101', level: 'minor', parentCode: 'CS01', nameZh: '社保卡代办', nameEn: 'Social security card errand',
    materials: [...ID, '近期一寸免冠照片', '委托书'],
    standards: [service(5, '居民委托代办社会保障卡申领、补换', '社保卡已领取并交给居民')] },
  { code: 'CS02', level: 'major', nameZh: '高龄补贴上门核查', nameEn: 'Home check for the elderly allowance',
    materials: [...ID, '银行卡或社会保障卡'],
    standards: [service(5, '80周岁以上老人申请或年审高龄补贴，需上门核实', '已上门核实并录入核查结果')] },
  { code: 'CS03', level: 'major', nameZh: '无物业楼院维修', nameEn: 'Repairs in buildings without property management',
    materials: ['居民身份证', '房屋产权证明或租赁合同'],
    standards: [
      service(10, '无物业管理的楼院公共部位、共用设施损坏需要维修', '已维修完毕并经居民代表确认'),
      { code: 'urgent', nameZh: '紧急维修', nameEn: 'Urgent repair',
        filingConditionZh: '楼道漏水、断电、下水管道堵塞外溢等影响居民基本生活',
        closingConditionZh: '险情已排除，恢复基本使用',
        priority: 'urgent', clockType: 'natural', resolveLimitSeconds: 24 * HOUR, defaultUnitType: 'service_centre' },
    ] },
  { code: 'CS04', level: 'major', nameZh: '低保申请帮办', nameEn: 'Minimum living allowance application',
    materials: [...ID, '家庭收入证明', '家庭财产状况声明', '银行卡'],
    standards: [service(10, '困难家庭申请最低生活保障，需协助准备和递交材料', '申请材料已受理并告知办理进度')] },
  { code: 'CS05', level: 'major', nameZh: '残疾人证办理帮办', nameEn: 'Disability certificate application',
    materials: [...ID, '近期二寸免冠照片', '医院诊断证明'],
    standards: [service(10, '残疾人申请办理或换领残疾人证，需协助办理', '残疾人证申请已受理或证件已送达')] },
  { code: 'CS06', level: 'major', nameZh: '居住证明开具', nameEn: 'Residence certificate',
    materials: [...ID, '房屋租赁合同'],
    standards: [service(1, '居民需开具社区居住证明', '居住证明已开具并交给居民')] },
];
