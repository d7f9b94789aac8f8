import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { RequirePermission } from '../auth/permission.decorator';
import { Permission } from '../auth/roles';
import { CatalogueService } from './catalogue.service';
import { CategoryQueryRequest, CategoryVersionQueryRequest } from './dto/catalogue.request.dto';
import type { CategoryResponse, PlatformDetailResponse, PlatformResponse } from './dto/catalogue.response.dto';

@ApiTags('catalogue 类别目录')
@Controller('api/v1')
export class CatalogueController {
  constructor(private readonly catalogue: CatalogueService) {}

  @Get('platforms')
  @RequirePermission(Permission.CatalogueRead)
  platforms(): Promise<PlatformResponse[]> {
    return this.catalogue.platforms();
  }

  /** A platform with the attribute schema of its tickets. */
  @Get('platforms/:code')
  @RequirePermission(Permission.CatalogueRead)
  platform(@Param('code') code: string): Promise<PlatformDetailResponse> {
    return this.catalogue.platform(code);
  }

  /** A flat list in tree order (each category names its parent); current versions unless `includeSuperseded=true`. */
  @Get('categories')
  @RequirePermission(Permission.CatalogueRead)
  categories(@Query() q: CategoryQueryRequest): Promise<CategoryResponse[]> {
    return this.catalogue.categoryResponses({ platform: q.platform, includeSuperseded: q.includeSuperseded });
  }

  /** The current version with its case standards, or `?version=` for an older one. */
  @Get('categories/:code')
  @RequirePermission(Permission.CatalogueRead)
  category(@Param('code') code: string, @Query() q: CategoryVersionQueryRequest): Promise<CategoryResponse> {
    return this.catalogue.categoryResponse(code, q.version);
  }
}
