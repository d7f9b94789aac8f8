import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { platformDefinition } from '../platforms/platform-registry';
import { CatalogueErrorCode, CatalogueException } from './catalogue.exception';
import { toCategoryView } from './catalogue.mapper';
import { CatalogueRepository, type CategoryRow } from './catalogue.repository';
import { CATALOGUE_CODE } from './catalogue-rules';
import type { CategoryView } from './catalogue.types';
import { CategoryResponse, PlatformDetailResponse, PlatformResponse } from './dto/catalogue.response.dto';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Reads the catalogue. Other modules (tickets, dispatch, SLA, Open311) use the first three methods; a
 * ticket keeps the id of the category version it was filed under and reads it back with `categoryById`.
 */
@Injectable()
export class CatalogueService {
  private readonly byId = new Map<string, CategoryView>();

  constructor(private readonly repo: CatalogueRepository) {}

  /** The current version of a category, with its standards; undefined for an unknown or malformed code. */
  async currentCategory(code: string): Promise<CategoryView | undefined> {
    if (!CATALOGUE_CODE.test(code)) return undefined;
    const row = await this.repo.findCurrent(code);
    return row ? (await this.assemble([row]))[0]!.view : undefined;
  }

  private readonly current = new Map<string, CategoryView>();

  /**
   * Like `currentCategory`, from a per-process cache: for callers that re-check in their own write that the
   * version is still current (the filing statement does) and call `forgetCurrent` when it is not.
   */
  async currentCategoryCached(code: string): Promise<CategoryView | undefined> {
    const cached = this.current.get(code);
    if (cached) return cached;
    const view = await this.currentCategory(code);
    if (view) {
      if (this.current.size > 10_000) this.current.clear();
      this.current.set(code, view);
    }
    return view;
  }

  /** Drops a cached current version (it was superseded). */
  forgetCurrent(code: string): void {
    this.current.delete(code);
  }

  /**
   * Any version of a category by its id, superseded ones included. A version never changes (the database
   * refuses it), so it is cached for the life of the process. Pass the caller's transaction manager when
   * called inside a transaction, so the lookup does not need a second pooled connection.
   */
  async categoryById(id: string, m?: EntityManager): Promise<CategoryView | undefined> {
    if (!UUID.test(id)) return undefined;
    const cached = this.byId.get(id);
    if (cached) return cached;
    const row = await this.repo.findById(id, m);
    const view = row ? (await this.assemble([row], m))[0]!.view : undefined;
    if (view) {
      if (this.byId.size > 10_000) this.byId.clear();
      this.byId.set(id, view);
    }
    return view;
  }

  /** Categories in tree order (platform, code); current versions only unless `includeSuperseded`. */
  async listCategories(filter: { platform?: string; includeSuperseded?: boolean }): Promise<CategoryView[]> {
    return (await this.assemble(await this.repo.list(filter))).map((c) => c.view);
  }

  async platforms(): Promise<PlatformResponse[]> {
    return (await this.repo.platforms()).map(PlatformResponse.from);
  }

  async platform(code: string): Promise<PlatformDetailResponse> {
    const def = platformDefinition(code);
    const row = def ? await this.repo.platform(code) : undefined;
    if (!def || !row) throw new CatalogueException(CatalogueErrorCode.PLATFORM_NOT_FOUND);
    return { ...PlatformResponse.from(row), attributes: def.attributes };
  }

  async categoryResponses(filter: { platform?: string; includeSuperseded?: boolean }): Promise<CategoryResponse[]> {
    return (await this.assemble(await this.repo.list(filter))).map((c) => CategoryResponse.from(c.row, c.view));
  }

  /** The current version of a code, or the given version of it. */
  async categoryResponse(code: string, version?: number): Promise<CategoryResponse> {
    if (!CATALOGUE_CODE.test(code)) throw new CatalogueException(CatalogueErrorCode.CATEGORY_CODE_INVALID);
    const row = version === undefined ? await this.repo.findCurrent(code) : await this.repo.findVersion(code, version);
    if (!row) throw new CatalogueException(CatalogueErrorCode.CATEGORY_NOT_FOUND);
    const [c] = await this.assemble([row]);
    return CategoryResponse.from(c!.row, c!.view);
  }

  private async assemble(rows: CategoryRow[], m?: EntityManager): Promise<Array<{ row: CategoryRow; view: CategoryView }>> {
    const standards = await this.repo.standardsOf(rows.map((r) => r.id), m);
    const byCategory = new Map<string, typeof standards>();
    for (const s of standards) {
      const list = byCategory.get(s.category_id);
      if (list) list.push(s);
      else byCategory.set(s.category_id, [s]);
    }
    return rows.map((row) => ({ row, view: toCategoryView(row, byCategory.get(row.id) ?? []) }));
  }
}
