import { AppException, type Bilingual } from '../../common/problem';

export enum OrgErrorCode {
  NODE_NOT_FOUND = 'NODE_NOT_FOUND',
  UNIT_NOT_FOUND = 'UNIT_NOT_FOUND',
  USER_NOT_FOUND = 'USER_NOT_FOUND',
  CODE_TAKEN = 'CODE_TAKEN',
  USERNAME_TAKEN = 'USERNAME_TAKEN',
  IMPORT_INVALID = 'IMPORT_INVALID',
  UNIT_REQUIRED = 'UNIT_REQUIRED',
  /** 三员分立: the auditor role is out of an admin's reach, and nobody changes their own role. */
  SEPARATION_OF_DUTIES = 'SEPARATION_OF_DUTIES',
  /** On duty (在岗) is a handler's state: auto-assignment picks among on-duty handlers. */
  HANDLERS_ONLY = 'ON_DUTY_HANDLERS_ONLY',
}

function describe(code: OrgErrorCode): { status: number; text: Bilingual } {
  switch (code) {
    case OrgErrorCode.NODE_NOT_FOUND: return { status: 404, text: { en: 'Grid node not found', zh: '网格节点不存在' } };
    case OrgErrorCode.UNIT_NOT_FOUND: return { status: 404, text: { en: 'Handling unit not found', zh: '承办单位不存在' } };
    case OrgErrorCode.USER_NOT_FOUND: return { status: 404, text: { en: 'User not found', zh: '用户不存在' } };
    case OrgErrorCode.CODE_TAKEN: return { status: 409, text: { en: 'The code is already in use', zh: '编码已被使用' } };
    case OrgErrorCode.USERNAME_TAKEN: return { status: 409, text: { en: 'The username is already in use', zh: '用户名已被使用' } };
    case OrgErrorCode.IMPORT_INVALID: return { status: 400, text: { en: 'The import file has errors; nothing was imported', zh: '导入文件有错误，未导入任何数据' } };
    case OrgErrorCode.UNIT_REQUIRED: return { status: 400, text: { en: 'Handlers must belong to a handling unit', zh: '承办人必须属于承办单位' } };
    case OrgErrorCode.HANDLERS_ONLY: return { status: 403, text: { en: 'Only handlers go on and off duty', zh: '仅承办人可设置在岗状态' } };
    case OrgErrorCode.SEPARATION_OF_DUTIES: return { status: 403, text: { en: 'Separation of duties: this account or role change is not allowed', zh: '三员分立：不允许此项账号或角色变更' } };
  }
}

export class OrgException extends AppException {
  constructor(readonly orgCode: OrgErrorCode, detail?: Bilingual, errors?: Array<{ field: string; message: string }>) {
    const d = describe(orgCode);
    super(d.status, orgCode, d.text, detail, errors);
  }
}
