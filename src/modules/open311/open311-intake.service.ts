import { Injectable } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { FieldCipher } from '../../common/field-cipher';
import { lettersOrDigits } from '../../common/validators';
import { FileTicketRequest } from '../tickets/dto/ticket.request.dto';
import { IntakeService } from '../tickets/intake.service';
import { convertAttributes, parsePostForm, reporterName } from './open311-form';
import { NOT_PUBLISHED_NOTICE, publishedService } from './open311.mapper';
import type { Open311Caller } from './open311-access.service';
import { Open311AccessService } from './open311-access.service';
import { Open311LocatorService } from './open311-locator.service';
import { Open311ErrorCode, Open311Exception } from './open311.exception';
import { Open311Repository, type GridNodeRef } from './open311.repository';
import { Open311Service } from './open311.service';

export interface Open311Created {
  service_request_id: string;
  service_notice: string;
}

type FieldError = { field: string; message: string };

function flatten(errors: Awaited<ReturnType<typeof validate>>, prefix = ''): FieldError[] {
  return errors.flatMap((e) => [
    ...Object.values(e.constraints ?? {}).map((message) => ({ field: `${prefix}${e.property}`, message })),
    ...flatten(e.children ?? [], `${prefix}${e.property}.`),
  ]);
}

// Our field names in the Open311 vocabulary, for error messages the client can act on.
const FIELD_NAMES: Record<string, string> = { lat: 'lat', lng: 'long', address: 'address_string', description: 'description', title: 'description', standardCode: 'attribute[case_standard]' };

/**
 * POST requests: an Open311 filing becomes a ticket through IntakeService.fileAs, as channel `open311`,
 * filed by the API key (no user) inside the key's jurisdiction, at the grid node found from the location.
 * The reporter's name and phone go into the ticket's encrypted columns, the e-mail and device id into
 * open311_requests, encrypted, in the filing's own transaction (`FilingActor.onFiled`); none of them is ever
 * output.
 */
@Injectable()
export class Open311IntakeService {
  constructor(
    private readonly access: Open311AccessService,
    private readonly reads: Open311Service,
    private readonly locator: Open311LocatorService,
    private readonly intake: IntakeService,
    private readonly repo: Open311Repository,
    private readonly cipher: FieldCipher,
  ) {}

  async submit(body: unknown, query: unknown, ip: string, idempotencyKey: string | undefined): Promise<Open311Created[]> {
    const parsed = parsePostForm(body, query);
    const given = (source: unknown) => (source !== null && typeof source === 'object' ? (source as Record<string, unknown>).api_key : undefined);
    const raw = given(body) ?? given(query);
    const caller: Open311Caller = { apiKey: typeof raw === 'string' ? raw : undefined, ip };
    // The key is checked (and the call counted) before anything else is said about the request.
    const key = (await this.access.admit(caller, true))!;
    if (!parsed.ok) throw new Open311Exception(Open311ErrorCode.INVALID_PARAMETER, undefined, parsed.errors);
    const post = parsed.value;

    let jurisdiction: GridNodeRef = { id: key.jurisdiction_node_id, path: key.jurisdiction_path, code: key.jurisdiction_code, name: key.jurisdiction_name };
    if (post.jurisdictionId !== undefined && post.jurisdictionId !== key.jurisdiction_code) {
      const asked = await this.reads.jurisdiction(post.jurisdictionId);
      if (!asked || !(asked.path === key.jurisdiction_path || asked.path.startsWith(`${key.jurisdiction_path}.`))) {
        throw new Open311Exception(Open311ErrorCode.JURISDICTION_NOT_FOUND);
      }
      jurisdiction = asked;
    }
    const { category, platform } = await this.reads.serviceCategory(post.serviceCode);
    const node = post.lat !== undefined && post.lng !== undefined
      ? await this.locator.byPoint(jurisdiction, post.lat, post.lng)
      : await this.locator.byAddress(jurisdiction, post.addressString!);

    const { attributes, standardCode } = convertAttributes(platform.attributes, post.attributes);
    if (standardCode !== undefined && !category.standards.some((s) => s.code === standardCode)) {
      throw new Open311Exception(Open311ErrorCode.INVALID_PARAMETER, undefined, [{ field: 'attribute[case_standard]', message: `must be one of ${category.standards.map((s) => s.code).join(', ')} / 立案标准无效` }]);
    }
    const head = [...post.description.split(/\r?\n/)[0]!.trim()].slice(0, 60).join('');
    // A first line with no letter or digit (blanks, zero-width characters, dots) says nothing: the title is then the service's name.
    const title = lettersOrDigits(head) > 0 ? head : `${category.nameZh}${post.addressString ? `（${[...post.addressString].slice(0, 100).join('')}）` : ''}`;
    const filing = plainToInstance(FileTicketRequest, {
      categoryCode: category.code, standardCode, title, description: post.description, address: post.addressString,
      lat: post.lat, lng: post.lng, gridNodeId: node.id, channel: 'open311', attributes,
      mediaUrls: post.mediaUrl !== undefined ? [post.mediaUrl] : undefined,
    });
    const invalid = flatten(await validate(filing, { whitelist: true, forbidNonWhitelisted: true }));
    if (invalid.length > 0) {
      throw new Open311Exception(Open311ErrorCode.INVALID_PARAMETER, undefined, invalid.map((e) => ({ ...e, field: FIELD_NAMES[e.field] ?? e.field })));
    }
    const name = reporterName(post.personal.firstName, post.personal.lastName);
    if (name !== undefined || post.personal.phone !== undefined) filing.reporter = { name: name ?? '', phone: post.personal.phone ?? '' };

    const link = {
      apiKeyId: key.id,
      emailEnc: post.personal.email ? this.cipher.encrypt(post.personal.email) : null,
      deviceIdEnc: post.personal.deviceId ? this.cipher.encrypt(post.personal.deviceId) : null,
    };
    const result = await this.intake.fileAs(
      {
        userId: null, role: 'resident', scopePath: jurisdiction.path, defaultNodeId: node.id, idempotencyOwner: key.id,
        onFiled: (m, ticketId) => this.repo.insertRequestLink(m, { ticketId, ...link }),
      },
      filing, idempotencyKey);
    return [{
      service_request_id: result.ticket.number,
      service_notice: publishedService(platform)
        ? `已受理，工单编号 ${result.ticket.number}，请凭编号查询办理进度。Received as ${result.ticket.number}.`
        : `已受理，工单编号 ${result.ticket.number}。${NOT_PUBLISHED_NOTICE} Received as ${result.ticket.number}.`,
    }];
  }
}
