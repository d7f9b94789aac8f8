import type { AttributeSpec } from '../../platforms/platform.types';
import type { CategoryRow, PlatformRow } from '../catalogue.repository';
import type { CaseStandardView, CategoryView } from '../catalogue.types';

export class PlatformResponse {
  code!: string;
  nameZh!: string;
  nameEn!: string;
  sort!: number;

  static from(r: PlatformRow): PlatformResponse {
    return { code: r.code, nameZh: r.name_zh, nameEn: r.name_en, sort: r.sort };
  }
}

/** A platform with the attributes its tickets carry (validated at intake). */
export class PlatformDetailResponse extends PlatformResponse {
  attributes!: AttributeSpec[];
}

/** One category version with its case standards. */
export class CategoryResponse {
  id!: string;
  code!: string;
  version!: number;
  platform!: string;
  level!: string;
  parentCode!: string | null;
  nameZh!: string;
  nameEn!: string;
  materials!: string[];
  current!: boolean;
  createdAt!: string;
  supersededAt!: string | null;
  standards!: CaseStandardView[];

  static from(row: CategoryRow, view: CategoryView): CategoryResponse {
    return {
      id: view.id, code: view.code, version: view.version, platform: view.platform, level: view.level, parentCode: view.parentCode,
      nameZh: view.nameZh, nameEn: view.nameEn, materials: view.materials, current: view.current,
      createdAt: row.created_at.toISOString(), supersededAt: row.superseded_at?.toISOString() ?? null, standards: view.standards,
    };
  }
}

export class CatalogueImportResponse {
  /** Codes new to the catalogue (version 1). */
  created!: number;
  /** Existing codes given a new version. */
  versioned!: number;
  /** Existing codes whose content was identical: no new version. */
  unchanged!: number;
}
