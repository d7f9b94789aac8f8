import { Body, Controller, Param, Post, Put } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Consumes } from '../../common/media-type';
import { RequirePermission } from '../auth/permission.decorator';
import { CurrentUser, type Principal } from '../auth/principal';
import { Permission } from '../auth/roles';
import { CatalogueAdminService } from './catalogue-admin.service';
import { CatalogueErrorCode, CatalogueException } from './catalogue.exception';
import { CreateCategoryRequest, UpdateCategoryRequest } from './dto/catalogue.request.dto';
import type { CatalogueImportResponse, CategoryResponse } from './dto/catalogue.response.dto';

@ApiTags('admin 管理')
@Controller('api/v1/admin/categories')
export class CatalogueAdminController {
  constructor(private readonly admin: CatalogueAdminService) {}

  @Post()
  @RequirePermission(Permission.CatalogueManage)
  create(@CurrentUser() user: Principal, @Body() body: CreateCategoryRequest): Promise<CategoryResponse> {
    return this.admin.create(user, body);
  }

  /**
   * Imports categories and standards: `text/csv` in the format of docs/catalogue.md; all rows or none. A JSON body
   * is answered CATALOGUE_IMPORT_INVALID ("send the CSV as text/csv"), any other type 415.
   */
  @Post('import')
  @RequirePermission(Permission.CatalogueManage)
  @Consumes('text/csv', 'application/json')
  importCsv(@CurrentUser() user: Principal, @Body() body: unknown): Promise<CatalogueImportResponse> {
    if (typeof body !== 'string') {
      throw new CatalogueException(CatalogueErrorCode.CATALOGUE_IMPORT_INVALID, { en: 'send the CSV as text/csv', zh: '请以 text/csv 格式上传' });
    }
    return this.admin.importCsv(user, body);
  }

  /** Edits a category by writing its next version; the previous version stays readable and unchanged. */
  @Put(':code')
  @RequirePermission(Permission.CatalogueManage)
  edit(@CurrentUser() user: Principal, @Param('code') code: string, @Body() body: UpdateCategoryRequest): Promise<CategoryResponse> {
    return this.admin.edit(user, code, body);
  }
}
