import type { CategoryView } from '../catalogue/catalogue.types';
import { COMMUNITY_GOVERNANCE } from '../platforms/community-governance/community-governance.platform';
import { DISPUTE_RESOLUTION } from '../platforms/dispute-resolution/dispute-resolution.platform';
import { CONVENIENCE_SERVICES } from '../platforms/convenience-services/convenience-services.platform';
import { NOT_PUBLISHED_NOTICE, open311Status, scrubPersonalText, statusNotes, toPublishedRequests, toRequest, toService, toServiceDefinition, type RequestRow } from './open311.mapper';

const standard = (code: string, nameZh: string) => ({
  id: code, code, nameZh, nameEn: code, filingConditionZh: '', closingConditionZh: '', priority: 'normal' as const, clockType: 'natural' as const,
  resolveLimitSeconds: 3600, resolveLimitDays: null, startNextWorkingDay: false, defaultUnitType: null,
});
const manhole: CategoryView = {
  id: 'c1', code: '0101', version: 1, platform: 'community_governance', level: 'minor', parentCode: '01', nameZh: '上水井盖', nameEn: 'Water supply manhole cover',
  materials: [], current: true, standards: [standard('missing', '缺失'), standard('damaged', '破损/松动')],
};

describe('open311 mapping', () => {
  it('maps our states to open/closed', () => {
    for (const s of ['closed', 'archived', 'voided', 'cancelled']) expect(open311Status(s)).toBe('closed');
    for (const s of ['reported', 'registered', 'dispatched', 'returned', 'in_progress', 'suspended', 'resolved', 'merged']) expect(open311Status(s)).toBe('open');
  });

  it('a category is a service grouped by its platform; its definition lists standards then attributes', () => {
    expect(toService(manhole, COMMUNITY_GOVERNANCE)).toMatchObject({ service_code: '0101', service_name: '上水井盖', group: '社区治理', metadata: true, type: 'realtime' });
    const def = toServiceDefinition(manhole, COMMUNITY_GOVERNANCE);
    expect(def.attributes.map((a) => [a.code, a.datatype, a.order])).toEqual([
      ['case_standard', 'singlevaluelist', 1], ['componentId', 'string', 2], ['selfHandled', 'singlevaluelist', 3],
    ]);
    expect(def.attributes[0]!.values).toEqual([{ key: 'missing', name: '缺失' }, { key: 'damaged', name: '破损/松动' }]);
    // One standard: nothing to choose. Parties (personal data) are never asked for.
    // A date attribute is a GeoReport datetime (not free text), described in both languages.
    const appointment = toServiceDefinition({ ...manhole, standards: [standard('found', '发现')] }, CONVENIENCE_SERVICES).attributes.find((a) => a.code === 'appointmentDate');
    expect(appointment).toMatchObject({ datatype: 'datetime', datatype_description: expect.stringContaining('YYYY-MM-DD') });
    const single = toServiceDefinition({ ...manhole, standards: [standard('found', '发现')] }, DISPUTE_RESOLUTION);
    expect(single.attributes.map((a) => a.code)).toEqual(['disputeType']);
  });

  it('masks what looks like personal data in free text', () => {
    expect(scrubPersonalText('联系 13841815678 或 0418-2812345，邮箱 a.b@example.cn，身份证 21090219800101123X，3号楼2单元'))
      .toBe('联系 *** 或 ***，邮箱 ***，身份证 ***，3号楼2单元');
    expect(scrubPersonalText('井盖编号 A-102，深 1.5 米')).toBe('井盖编号 A-102，深 1.5 米');
  });

  it('status notes: the state in words and the public note that led to it', () => {
    expect(statusNotes('resolved', '已更换 电话13900001111', null)).toBe('已办结，待核查：已更换 电话***');
    expect(statusNotes('in_progress', null, null)).toBe('承办单位处置中');
    expect(statusNotes('in_progress', null, { into: null })).toBe('已并入其他工单处理');
    expect(statusNotes('closed', null, { into: 'FX-20261127-000001' })).toBe('已并入其他工单处理（FX-20261127-000001）');
  });

  it('a ticket row becomes a request; expected_datetime only while open, updated = closing time when closed', () => {
    const row: RequestRow = {
      number: 'FX-20261127-000007', platform: 'community_governance', via_open311: true, category_code: '0101', service_name: '上水井盖', description: '井盖丢失，电话 13841815678', address: null, media_url: 'https://app.example.org/m/1.jpg', lat: 42, lng: 121.6,
      created_at: new Date('2026-11-27T00:00:00Z'), effective_status: 'in_progress', effective_updated_at: new Date('2026-11-27T01:00:00Z'),
      effective_closed_at: null, merged_into: null, root_platform: 'community_governance', root_via_open311: false, agency: '阜新市市政设施服务中心', expected_at: new Date('2026-11-27T02:00:00Z'), public_note: null,
    };
    expect(toRequest(row)).toEqual({
      service_request_id: 'FX-20261127-000007', status: 'open', status_notes: '承办单位处置中', service_name: '上水井盖', service_code: '0101',
      description: '井盖丢失，电话 ***', agency_responsible: '阜新市市政设施服务中心', service_notice: null,
      requested_datetime: '2026-11-27T08:00:00+08:00', updated_datetime: '2026-11-27T09:00:00+08:00', expected_datetime: '2026-11-27T10:00:00+08:00',
      address: null, lat: 42, long: 121.6, media_url: 'https://app.example.org/m/1.jpg',
    });
    const closed = toRequest({ ...row, effective_status: 'closed', effective_closed_at: new Date('2026-11-27T03:00:00Z'), effective_updated_at: new Date('2026-11-27T04:00:00Z') });
    expect(closed).toMatchObject({ status: 'closed', updated_datetime: '2026-11-27T11:00:00+08:00', expected_datetime: null });
  });

  it('publishes staff-filed tickets without free text and with rounded coordinates, private platforms not at all', () => {
    const row: RequestRow = {
      number: 'FX-20261127-000008', platform: 'community_governance', via_open311: false, category_code: '0115', service_name: '路灯',
      description: '王建军家门口路灯不亮', address: '电务小区2号楼王建军家门口', media_url: 'https://app.example.org/m/2.jpg', lat: 42.026984, lng: 121.659526,
      created_at: new Date('2026-11-27T00:00:00Z'), effective_status: 'resolved', effective_updated_at: new Date('2026-11-27T01:00:00Z'),
      effective_closed_at: null, merged_into: null, root_platform: 'community_governance', root_via_open311: false, agency: null, expected_at: null, public_note: '已为王建军家门口更换灯泡',
    };
    const staff = toRequest(row);
    expect(staff).toMatchObject({ description: null, address: null, media_url: null, status_notes: '已办结，待核查', lat: 42.027, long: 121.66 });
    expect(JSON.stringify(staff)).not.toContain('王建军');
    // The same ticket filed through Open311: as filed (scrubbed).
    expect(toRequest({ ...row, via_open311: true })).toMatchObject({
      description: '王建军家门口路灯不亮', address: '电务小区2号楼王建军家门口', status_notes: '已办结，待核查：已为王建军家门口更换灯泡', lat: 42.026984, long: 121.659526,
      media_url: 'https://app.example.org/m/2.jpg',
    });
    const rows: RequestRow[] = [
      row, { ...row, number: 'CS', platform: 'convenience_services', via_open311: true }, { ...row, number: 'PB', platform: 'party_building' },
      { ...row, number: 'DR', platform: 'dispute_resolution', via_open311: true }, { ...row, number: 'RH-staff', platform: 'request_handling' },
      { ...row, number: 'RH-open311', platform: 'request_handling', via_open311: true }, { ...row, number: 'unknown', platform: 'new_platform', via_open311: true },
    ];
    expect(toPublishedRequests(rows).map((r) => r.service_request_id)).toEqual(['FX-20261127-000008', 'RH-open311']);
  });

  it('names the ticket a request was merged into only when that one is published too', () => {
    const child: RequestRow = {
      number: 'FX-20261127-000010', platform: 'request_handling', via_open311: true, category_code: 'RH0102', service_name: '噪声', description: null, address: null,
      media_url: null, lat: null, lng: null, created_at: new Date('2026-11-27T00:00:00Z'), effective_status: 'in_progress', effective_updated_at: new Date('2026-11-27T01:00:00Z'),
      effective_closed_at: null, merged_into: 'FX-20261127-000003', root_platform: 'request_handling', root_via_open311: false, agency: null, expected_at: null, public_note: null,
    };
    // Merged into a hotline call (not published): merged, without the number.
    expect(toRequest(child).status_notes).toBe('已并入其他工单处理');
    expect(toRequest({ ...child, root_platform: 'dispute_resolution', root_via_open311: true }).status_notes).toBe('已并入其他工单处理');
    // Merged into a request filed through Open311, or a staff-filed 社区治理 ticket (published redacted): with it.
    expect(toRequest({ ...child, root_via_open311: true }).status_notes).toBe('已并入其他工单处理（FX-20261127-000003）');
    expect(toRequest({ ...child, root_platform: 'community_governance' }).status_notes).toBe('已并入其他工单处理（FX-20261127-000003）');
  });

  it('services whose requests are never published say so', () => {
    const errand: CategoryView = { ...manhole, code: 'CS0101', platform: 'convenience_services', nameZh: '社保卡代办', nameEn: 'Errand' };
    expect(toService(errand, CONVENIENCE_SERVICES).description).toContain(NOT_PUBLISHED_NOTICE);
    expect(toService(manhole, COMMUNITY_GOVERNANCE).description).not.toContain(NOT_PUBLISHED_NOTICE);
  });

  it('withholds a stored media link that carries personal data (refused at filing since; defence in depth)', () => {
    const row: RequestRow = {
      number: 'FX-20261127-000009', platform: 'community_governance', via_open311: true, category_code: '0101', service_name: '上水井盖', description: '井盖丢失',
      address: null, media_url: 'https://app.example.org/u/13841815678/photo.jpg', lat: 42, lng: 121.6, created_at: new Date('2026-11-27T00:00:00Z'),
      effective_status: 'reported', effective_updated_at: new Date('2026-11-27T00:00:00Z'), effective_closed_at: null, merged_into: null, root_platform: 'community_governance', root_via_open311: false, agency: null, expected_at: null, public_note: null,
    };
    expect(toRequest(row).media_url).toBeNull();
    expect(toRequest({ ...row, media_url: 'https://app.example.org/p/638344.jpg' }).media_url).toBe('https://app.example.org/p/638344.jpg');
  });
});
