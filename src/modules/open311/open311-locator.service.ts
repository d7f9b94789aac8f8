import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { Open311ErrorCode, Open311Exception } from './open311.exception';
import { Open311Repository, type GridNodeRef } from './open311.repository';

/**
 * Finds the grid node (网格) of a reported location inside a jurisdiction: the deepest node whose polygon
 * contains the point, else the nearest node with coordinates (within OPEN311_MAX_DISTANCE_M). A point
 * outside the jurisdiction's own polygon, or too far from every node, is outside (400).
 */
@Injectable()
export class Open311LocatorService {
  constructor(private readonly repo: Open311Repository, @Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async byPoint(jurisdiction: GridNodeRef, lat: number, lng: number): Promise<GridNodeRef> {
    const inside = await this.repo.deepestContaining(jurisdiction.path, lat, lng);
    if (inside) return inside;
    if (await this.repo.outsidePolygonOf(jurisdiction.id, lat, lng)) throw new Open311Exception(Open311ErrorCode.OUTSIDE_JURISDICTION);
    const near = await this.repo.nearest(jurisdiction.path, lat, lng);
    if (!near || near.distance_m > this.config.open311.maxDistanceM) {
      throw new Open311Exception(Open311ErrorCode.OUTSIDE_JURISDICTION, {
        en: `no grid node within ${this.config.open311.maxDistanceM} m`, zh: `${this.config.open311.maxDistanceM} 米内没有网格`,
      });
    }
    return { id: near.id, path: near.path, code: near.code, name: near.name };
  }

  /**
   * Without coordinates: the deepest node named in the address text (e.g. "电务小区1号楼"); else, when the text names
   * a district or street outside the jurisdiction ("细河区…" for a key of 海州区), outside (400); else the jurisdiction
   * itself, for the command centre to place. An address that names nothing of this city (another city's) cannot be
   * told apart from one that names nothing known and goes to the jurisdiction too.
   */
  async byAddress(jurisdiction: GridNodeRef, address: string): Promise<GridNodeRef> {
    const inside = await this.repo.deepestNamedIn(jurisdiction.path, address);
    if (inside) return inside;
    const elsewhere = await this.repo.namedOutside(jurisdiction.path, address);
    if (elsewhere) {
      throw new Open311Exception(Open311ErrorCode.OUTSIDE_JURISDICTION, {
        en: `the address names ${elsewhere.name}, outside ${jurisdiction.name}`, zh: `地址中的${elsewhere.name}不在${jurisdiction.name}辖区内`,
      });
    }
    return jurisdiction;
  }
}
