import { mediaUrlLooksPersonal } from '../../common/media-url';
import type { CategoryView } from '../catalogue/catalogue.types';
import type { AttributeSpec, PlatformDefinition } from '../platforms/platform.types';
import { iso8601 } from './open311-format';
import { publicationOf, roundCoordinate } from './open311-publication';

/** A GeoReport v2 Service (one service type = one leaf category of the catalogue). */
export interface Open311ServiceType {
  service_code: string;
  service_name: string;
  description: string;
  metadata: boolean;
  type: 'realtime';
  keywords: string;
  group: string;
}

export interface Open311AttributeValue { key: string; name: string }

export interface Open311Attribute {
  variable: boolean;
  code: string;
  datatype: 'string' | 'number' | 'datetime' | 'text' | 'singlevaluelist' | 'multivaluelist';
  required: boolean;
  datatype_description: string | null;
  order: number;
  description: string;
  values?: Open311AttributeValue[];
}

export interface Open311ServiceDefinition {
  service_code: string;
  attributes: Open311Attribute[];
}

export interface Open311Request {
  service_request_id: string;
  status: 'open' | 'closed';
  status_notes: string | null;
  service_name: string;
  service_code: string;
  description: string | null;
  agency_responsible: string | null;
  service_notice: string | null;
  requested_datetime: string;
  updated_datetime: string;
  expected_datetime: string | null;
  address: string | null;
  lat: number | null;
  long: number | null;
  media_url: string | null;
}

/** The Open311 attribute code under which a client picks the case standard (立案标准) of a category. */
export const CASE_STANDARD_ATTRIBUTE = 'case_standard';

/** Our terminal states that Open311 calls `closed`; every other state is `open`. */
const CLOSED_STATES = new Set(['closed', 'archived', 'voided', 'cancelled']);

/** open/closed of a ticket; a merged ticket (并单) takes its parent's status (passed as `effectiveStatus`). */
export function open311Status(effectiveStatus: string): 'open' | 'closed' {
  return CLOSED_STATES.has(effectiveStatus) ? 'closed' : 'open';
}

/** Public wording of each state, the base of status_notes. */
const STATE_NOTES: Record<string, string> = {
  reported: '已受理，待立案',
  registered: '已立案，待派遣',
  dispatched: '已派遣至承办单位，待签收',
  returned: '承办单位退单，指挥中心审核中',
  in_progress: '承办单位处置中',
  suspended: '暂时挂起',
  resolved: '已办结，待核查',
  closed: '已结案',
  archived: '已回访归档',
  voided: '不予立案（已作废）',
  cancelled: '已撤销',
  merged: '已并入其他工单处理',
};

// Whatever looks like personal data in free text: e-mail addresses, 18-character ID numbers, phone numbers.
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
const ID_NUMBER = /(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])/g;
const PHONE = /(?<![0-9])(?:\+?86[- ]?)?(?:1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8}|[0-9][0-9 -]{5,}[0-9])(?![0-9])/g;

/**
 * Masks personal data that a person may have typed into free text (description, notes) before it is
 * published: e-mails, ID numbers and runs of 7 or more digits become `***`. Defence in depth: the
 * reporter's own name, phone and e-mail are stored encrypted and never read here at all.
 */
export function scrubPersonalText(text: string): string {
  return text.replace(EMAIL, '***').replace(ID_NUMBER, '***').replace(PHONE, (m) => (m.replace(/[^0-9]/g, '').length >= 7 ? '***' : m));
}

/** status_notes: the state in words, and the last public note (办结、核查、作废、撤销 remarks) that led to it. */
export function statusNotes(effectiveStatus: string, publicNote: string | null, merge: { into: string | null } | null): string {
  const base = effectiveStatus === 'merged' || merge ? `${STATE_NOTES.merged}${merge?.into ? `（${merge.into}）` : ''}` : STATE_NOTES[effectiveStatus] ?? effectiveStatus;
  return publicNote ? `${base}：${scrubPersonalText(publicNote)}` : base;
}

/** Told to clients wherever a service's requests are accepted but never published (publication `none`). */
export const NOT_PUBLISHED_NOTICE = '此类诉求涉及个人信息，不公开查询，办理进度请致电 12345。Requests of this type are not published; ask 12345 for progress.';

/** Whether requests of this service are published when filed through Open311. */
export function publishedService(platform: PlatformDefinition): boolean {
  return publicationOf(platform.code, true) !== 'none';
}

/** The leaf categories of the catalogue become Open311 services; disputes (纠纷化解) are never public. */
export function toService(c: CategoryView, platform: PlatformDefinition): Open311ServiceType {
  const definition = toServiceDefinition(c, platform);
  const standards = c.standards.map((s) => s.nameZh).join('、');
  return {
    service_code: c.code,
    service_name: c.nameZh,
    description: `${c.nameZh}（${c.nameEn}）${standards ? `：${standards}` : ''}${publishedService(platform) ? '' : ` ${NOT_PUBLISHED_NOTICE}`}`,
    metadata: definition.attributes.length > 0,
    type: 'realtime',
    keywords: [c.nameEn, platform.nameZh, platform.nameEn].join(','),
    group: platform.nameZh,
  };
}

function attributeOf(spec: AttributeSpec, order: number): Open311Attribute | undefined {
  const base = { variable: true, code: spec.code, required: spec.required, order, description: `${spec.nameZh} ${spec.nameEn}` };
  switch (spec.type) {
    case 'string':
      return spec.format === 'date'
        ? { ...base, datatype: 'datetime', datatype_description: '日期 YYYY-MM-DD，或 ISO 8601 时间（取北京时间的日期） / a date, or an ISO 8601 date-time (its date in Beijing time)' }
        : { ...base, datatype: 'string', datatype_description: `最多 ${spec.maxLength ?? 200} 字 / at most ${spec.maxLength ?? 200} characters` };
    case 'number':
      return {
        ...base, datatype: 'number',
        datatype_description: [spec.integer ? '整数 integer' : null, spec.min !== undefined ? `≥ ${spec.min}` : null, spec.max !== undefined ? `≤ ${spec.max}` : null].filter(Boolean).join(', ') || null,
      };
    case 'boolean':
      return { ...base, datatype: 'singlevaluelist', datatype_description: null, values: [{ key: 'true', name: '是 Yes' }, { key: 'false', name: '否 No' }] };
    case 'enum':
      return { ...base, datatype: 'singlevaluelist', datatype_description: null, values: (spec.options ?? []).map((o) => ({ key: o.code, name: o.nameZh })) };
    case 'string_list':
      return { ...base, datatype: 'text', datatype_description: '每行一项 one item per line' };
    case 'parties':
      // Parties are personal data (当事人): never collected through the public API.
      return undefined;
  }
}

/**
 * The service definition: the case standard choice when a category has more than one (缺失 / 破损), then the
 * platform's attributes (personal ones left out), in the platform's order.
 */
export function toServiceDefinition(c: CategoryView, platform: PlatformDefinition): Open311ServiceDefinition {
  const attributes: Open311Attribute[] = [];
  if (c.standards.length > 1) {
    attributes.push({
      variable: true, code: CASE_STANDARD_ATTRIBUTE, datatype: 'singlevaluelist', required: false,
      datatype_description: `默认 default: ${c.standards[0]!.code}`, order: 1, description: '立案标准 Case standard',
      values: c.standards.map((s) => ({ key: s.code, name: s.nameZh })),
    });
  }
  for (const spec of platform.attributes) {
    const a = attributeOf(spec, attributes.length + 1);
    if (a) attributes.push(a);
  }
  return { service_code: c.code, attributes };
}

/** What the read model gives for one ticket, resolved to its merge parent where Open311 wants the parent's. */
export interface RequestRow {
  number: string;
  platform: string;
  /** Filed through Open311 (has an open311_requests row), as opposed to by staff. */
  via_open311: boolean;
  category_code: string;
  service_name: string;
  /** Null unless filed through Open311 (the read model selects no staff free text). */
  description: string | null;
  address: string | null;
  /** The first of the ticket's media links, selected only for requests filed through Open311. */
  media_url: string | null;
  lat: number | null;
  lng: number | null;
  created_at: Date;
  effective_status: string;
  effective_updated_at: Date;
  effective_closed_at: Date | null;
  merged_into: string | null;
  /** The merge root's platform and whether it was filed through Open311: its number is told only if it is published itself. */
  root_platform: string;
  root_via_open311: boolean;
  agency: string | null;
  expected_at: Date | null;
  public_note: string | null;
}

/**
 * The number of the ticket a merged request was merged into (并单), only when that ticket is published itself: a
 * hotline call or a dispute it was merged into is not even said to exist ("merged", without a number).
 */
function mergeOf(r: RequestRow): { into: string | null } | null {
  if (r.merged_into === null) return null;
  return { into: publicationOf(r.root_platform, r.root_via_open311) !== 'none' ? r.merged_into : null };
}

/**
 * One ticket as a GeoReport request, under the publication policy (open311-publication.ts): whitelisted
 * fields only, nothing of the reporter is ever read; a ticket not published in full carries no free text and
 * rounded coordinates. Callers publish only rows for which {@link isPublished} holds.
 */
export function toRequest(r: RequestRow): Open311Request {
  const full = publicationOf(r.platform, r.via_open311) === 'full';
  const status = open311Status(r.effective_status);
  const updated = status === 'closed' && r.effective_closed_at ? r.effective_closed_at : r.effective_updated_at;
  return {
    service_request_id: r.number,
    status,
    status_notes: statusNotes(r.effective_status, full ? r.public_note : null, mergeOf(r)),
    service_name: r.service_name,
    service_code: r.category_code,
    description: full && r.description ? scrubPersonalText(r.description) : null,
    agency_responsible: r.agency,
    service_notice: null,
    requested_datetime: iso8601(r.created_at),
    updated_datetime: iso8601(updated),
    expected_datetime: status === 'open' && r.expected_at ? iso8601(r.expected_at) : null,
    address: full && r.address ? scrubPersonalText(r.address) : null,
    lat: full ? r.lat : roundCoordinate(r.lat),
    long: full ? r.lng : roundCoordinate(r.lng),
    media_url: full && r.media_url && !mediaUrlLooksPersonal(r.media_url) ? r.media_url : null,
  };
}

/** Whether a row may be published at all (the read model already filters; this is the second check). */
export function isPublished(r: Pick<RequestRow, 'platform' | 'via_open311'>): boolean {
  return publicationOf(r.platform, r.via_open311) !== 'none';
}

/** The published rows as requests, in order. */
export function toPublishedRequests(rows: RequestRow[]): Open311Request[] {
  return rows.filter(isPublished).map(toRequest);
}
