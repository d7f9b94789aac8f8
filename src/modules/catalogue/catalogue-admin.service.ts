import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Principal } from '../auth/principal';
import type { PlatformCode } from '../platforms/platform.types';
import { parseCatalogueCsv } from './catalogue-csv';
import { CatalogueErrorCode, CatalogueException } from './catalogue.exception';
import { toCategoryView } from './catalogue.mapper';
import { CatalogueRepository } from './catalogue.repository';
import { CATALOGUE_CODE, PARENT_LEVEL, sameContent, standardProblems, type CategoryDraft, type StandardDraft } from './catalogue-rules';
import { CatalogueService } from './catalogue.service';
import type { CategoryView } from './catalogue.types';
import type { CaseStandardRequest, CreateCategoryRequest, UpdateCategoryRequest } from './dto/catalogue.request.dto';
import type { CatalogueImportResponse, CategoryResponse } from './dto/catalogue.response.dto';

type Problem = { field: string; message: string };

function toStandardDraft(s: CaseStandardRequest): StandardDraft {
  return {
    code: s.code, nameZh: s.nameZh, nameEn: s.nameEn, filingConditionZh: s.filingConditionZh, closingConditionZh: s.closingConditionZh,
    priority: s.priority, clockType: s.clockType, resolveLimitSeconds: s.resolveLimitSeconds ?? null, resolveLimitDays: s.resolveLimitDays ?? null,
    startNextWorkingDay: s.startNextWorkingDay ?? false, defaultUnitType: s.defaultUnitType ?? null,
  };
}

function assertStandards(standards: StandardDraft[]): void {
  const problems = standardProblems(standards);
  if (problems.length > 0) throw new CatalogueException(CatalogueErrorCode.STANDARDS_INVALID, undefined, problems);
}

/**
 * Changes to the catalogue: create, edit (a new version; the old one stays as it was) and CSV import.
 * The catalogue is city-wide, so only an administrator scoped to the root of the grid tree may change it.
 */
@Injectable()
export class CatalogueAdminService {
  constructor(
    private readonly repo: CatalogueRepository,
    private readonly catalogue: CatalogueService,
  ) {}

  async create(p: Principal, body: CreateCategoryRequest): Promise<CategoryResponse> {
    this.assertCityScope(p);
    const draft: CategoryDraft = {
      code: body.code, platform: body.platform as PlatformCode, level: body.level, parentCode: body.parentCode ?? null,
      nameZh: body.nameZh, nameEn: body.nameEn, materials: body.materials ?? [], standards: (body.standards ?? []).map(toStandardDraft),
    };
    assertStandards(draft.standards);
    await this.repo.transaction(async (m) => {
      await this.repo.lockCodes(m, [draft.code]);
      if (await this.repo.codeExists(m, draft.code)) throw new CatalogueException(CatalogueErrorCode.CATEGORY_CODE_TAKEN);
      const problem = await this.parentProblem(m, draft, new Map());
      if (problem) throw new CatalogueException(CatalogueErrorCode.PARENT_INVALID, problem);
      if ((await this.repo.insertVersion(m, draft, 1, p.id)) === 'code_taken') throw new CatalogueException(CatalogueErrorCode.CATEGORY_CODE_TAKEN);
    });
    return this.catalogue.categoryResponse(draft.code);
  }

  /** Writes the next version of a category; the previous version and its standards stay untouched. */
  async edit(p: Principal, code: string, body: UpdateCategoryRequest): Promise<CategoryResponse> {
    this.assertCityScope(p);
    if (!CATALOGUE_CODE.test(code)) throw new CatalogueException(CatalogueErrorCode.CATEGORY_CODE_INVALID);
    if (body.nameZh === undefined && body.nameEn === undefined && body.materials === undefined && body.standards === undefined) {
      throw new CatalogueException(CatalogueErrorCode.NOTHING_TO_CHANGE);
    }
    const standards = body.standards?.map(toStandardDraft);
    if (standards) assertStandards(standards);
    await this.repo.transaction(async (m) => {
      await this.repo.lockCodes(m, [code]);
      const current = await this.currentView(m, code);
      if (!current) throw new CatalogueException(CatalogueErrorCode.CATEGORY_NOT_FOUND);
      if (body.expectedVersion !== undefined && body.expectedVersion !== current.version) {
        throw new CatalogueException(CatalogueErrorCode.CATEGORY_VERSION_CONFLICT, {
          en: `current version is ${current.version}`, zh: `当前版本为 ${current.version}`,
        });
      }
      const draft: CategoryDraft = {
        code, platform: current.platform, level: current.level, parentCode: current.parentCode,
        nameZh: body.nameZh ?? current.nameZh, nameEn: body.nameEn ?? current.nameEn, materials: body.materials ?? current.materials,
        standards: standards ?? current.standards.map(({ id: _id, ...s }) => s),
      };
      // An edit that changes nothing is answered with the current version (PUT is idempotent).
      if (!sameContent(draft, current)) await this.writeNextVersion(m, current, draft, p.id);
    });
    return this.catalogue.categoryResponse(code);
  }

  /** Imports categories from CSV (docs/catalogue.md) in one transaction: every row or none. */
  async importCsv(p: Principal, csv: string): Promise<CatalogueImportResponse> {
    this.assertCityScope(p);
    const { categories, errors } = parseCatalogueCsv(csv);
    if (errors.length > 0) throw new CatalogueException(CatalogueErrorCode.CATALOGUE_IMPORT_INVALID, undefined, errors.slice(0, 200));
    return this.repo.transaction(async (m) => {
      await this.repo.lockCodes(m, categories.map((c) => c.code));
      const problems: Problem[] = [];
      const result: CatalogueImportResponse = { created: 0, versioned: 0, unchanged: 0 };
      const inFile = new Map(categories.map((c) => [c.code, c]));
      // Parents first, so a new 小类 may hang under a 大类 created by the same file.
      const order = { major: 0, minor: 1, detail: 2 };
      for (const c of [...categories].sort((a, b) => order[a.level] - order[b.level] || a.line - b.line)) {
        const bad = (field: string, message: string) => problems.push({ field: `line ${c.line}: ${field}`, message });
        const current = await this.currentView(m, c.code);
        if (current && (current.platform !== c.platform || current.level !== c.level || current.parentCode !== c.parentCode)) {
          bad('code', `exists as ${current.platform}/${current.level}/${current.parentCode ?? '-'}; platform, level and parent cannot change / 已存在的类别不能更改平台、层级或上级`);
          continue;
        }
        const parent = await this.parentProblem(m, c, inFile);
        if (parent) {
          bad('parent_code', `${parent.en} / ${parent.zh}`);
          continue;
        }
        if (!current) {
          if (await this.repo.codeExists(m, c.code)) bad('code', 'code already used by a retired category / 编码已被使用');
          else if ((await this.repo.insertVersion(m, c, 1, p.id)) === 'code_taken') bad('code', 'code already exists / 编码已存在');
          else result.created++;
        } else if (sameContent(c, current)) {
          result.unchanged++;
        } else if (current.standards.length > 0 && c.standards.length === 0) {
          // A line without standard columns would version the category with none, and filing under it would stop
          // (STANDARD_REQUIRED): a city's file that lists only names must not strip the case standards.
          bad('standards', `${c.code} has case standards; list them (a line per standard) to keep or change them / 该类别已有立案标准，导入时须逐行列出`);
        } else {
          await this.writeNextVersion(m, current, c, p.id);
          result.versioned++;
        }
      }
      if (problems.length > 0) throw new CatalogueException(CatalogueErrorCode.CATALOGUE_IMPORT_INVALID, undefined, problems.slice(0, 200));
      return result;
    });
  }

  /** The root of the grid tree is a single ltree label (the city). */
  private assertCityScope(p: Principal): void {
    if (p.scopePath.includes('.')) throw new CatalogueException(CatalogueErrorCode.CITY_SCOPE_REQUIRED);
  }

  private async writeNextVersion(m: EntityManager, current: CategoryView, draft: CategoryDraft, by: string): Promise<void> {
    if (!(await this.repo.supersede(m, current.id))) throw new CatalogueException(CatalogueErrorCode.CATEGORY_VERSION_CONFLICT);
    if ((await this.repo.insertVersion(m, draft, current.version + 1, by)) === 'code_taken') {
      throw new CatalogueException(CatalogueErrorCode.CATEGORY_VERSION_CONFLICT);
    }
  }

  private async currentView(m: EntityManager, code: string): Promise<CategoryView | undefined> {
    const row = await this.repo.findCurrent(code, m);
    return row ? toCategoryView(row, await this.repo.standardsOf([row.id], m)) : undefined;
  }

  /** A 小类 hangs under a current 大类 of the same platform, a 细类 under a 小类; undefined when that holds. */
  private async parentProblem(m: EntityManager, c: CategoryDraft, inFile: Map<string, CategoryDraft>): Promise<{ en: string; zh: string } | undefined> {
    const wanted = PARENT_LEVEL[c.level];
    if (wanted === null) return c.parentCode === null ? undefined : { en: 'a major category has no parent', zh: '大类没有上级类别' };
    if (c.parentCode === null) return { en: `a ${c.level} category needs a parent`, zh: '小类、细类须指定上级类别' };
    const parent = inFile.get(c.parentCode) ?? await this.repo.findCurrent(c.parentCode, m);
    if (!parent) return { en: `parent ${c.parentCode} not found`, zh: `上级类别 ${c.parentCode} 不存在` };
    if (parent.platform !== c.platform) return { en: `parent ${c.parentCode} belongs to another platform`, zh: `上级类别 ${c.parentCode} 属于其他平台` };
    if (parent.level !== wanted) return { en: `the parent of a ${c.level} category must be a ${wanted} category`, zh: '上级类别层级不符' };
    return undefined;
  }
}
