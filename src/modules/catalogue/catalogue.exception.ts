import { AppException, type Bilingual } from '../../common/problem';

export enum CatalogueErrorCode {
  PLATFORM_NOT_FOUND = 'PLATFORM_NOT_FOUND',
  CATEGORY_NOT_FOUND = 'CATEGORY_NOT_FOUND',
  CATEGORY_CODE_INVALID = 'CATEGORY_CODE_INVALID',
  CATEGORY_CODE_TAKEN = 'CATEGORY_CODE_TAKEN',
  PARENT_INVALID = 'PARENT_INVALID',
  STANDARDS_INVALID = 'STANDARDS_INVALID',
  CATEGORY_VERSION_CONFLICT = 'CATEGORY_VERSION_CONFLICT',
  NOTHING_TO_CHANGE = 'NOTHING_TO_CHANGE',
  CATALOGUE_IMPORT_INVALID = 'CATALOGUE_IMPORT_INVALID',
  CITY_SCOPE_REQUIRED = 'CITY_SCOPE_REQUIRED',
}

function describe(code: CatalogueErrorCode): { status: number; text: Bilingual } {
  switch (code) {
    case CatalogueErrorCode.PLATFORM_NOT_FOUND: return { status: 404, text: { en: 'Platform not found', zh: '平台不存在' } };
    case CatalogueErrorCode.CATEGORY_NOT_FOUND: return { status: 404, text: { en: 'Category not found', zh: '案件类别不存在' } };
    case CatalogueErrorCode.CATEGORY_CODE_INVALID: return { status: 400, text: { en: 'Category codes are 1–40 letters, digits or _', zh: '类别编码应为 1–40 位字母、数字或下划线' } };
    case CatalogueErrorCode.CATEGORY_CODE_TAKEN: return { status: 409, text: { en: 'The category code is already in use', zh: '类别编码已被使用' } };
    case CatalogueErrorCode.PARENT_INVALID: return { status: 400, text: { en: 'The parent category is missing, on another platform or at the wrong level', zh: '上级类别不存在、属于其他平台或层级不符' } };
    case CatalogueErrorCode.STANDARDS_INVALID: return { status: 400, text: { en: 'The case standards are invalid', zh: '立案标准无效' } };
    case CatalogueErrorCode.CATEGORY_VERSION_CONFLICT: return { status: 409, text: { en: 'The category has been changed since you read it', zh: '类别已被他人修改，请刷新后重试' } };
    case CatalogueErrorCode.NOTHING_TO_CHANGE: return { status: 400, text: { en: 'Give at least one field to change', zh: '请至少提供一个要修改的字段' } };
    case CatalogueErrorCode.CATALOGUE_IMPORT_INVALID: return { status: 400, text: { en: 'The import file has errors; nothing was imported', zh: '导入文件有错误，未导入任何数据' } };
    case CatalogueErrorCode.CITY_SCOPE_REQUIRED: return { status: 403, text: { en: 'The catalogue is city-wide: only a city-level administrator may change it', zh: '类别目录全市通用，仅市级管理员可修改' } };
  }
}

/** Errors of the catalogue context (platforms, categories, case standards). */
export class CatalogueException extends AppException {
  constructor(readonly catalogueCode: CatalogueErrorCode, detail?: Bilingual, errors?: Array<{ field: string; message: string }>) {
    const d = describe(catalogueCode);
    super(d.status, catalogueCode, d.text, detail, errors);
  }
}
