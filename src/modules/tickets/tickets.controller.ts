import { Body, Controller, Get, Headers, HttpCode, Param, ParseUUIDPipe, Post, Query, Res } from '@nestjs/common';
import { ApiHeader, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Consumes } from '../../common/media-type';
import { RequirePermission } from '../auth/permission.decorator';
import { CurrentUser, type Principal } from '../auth/principal';
import { Meta } from '../auth/request-meta';
import type { RequestMeta } from '../auth/auth.service';
import { Permission } from '../auth/roles';
import { AttachmentsService } from './attachments.service';
import { FileTicketRequest, MaterialsRequest, RevealRequest, TicketActionRequest, TicketListRequest } from './dto/ticket.request.dto';
import type {
  AttachmentResponse, FiledTicketResponse, RevealResponse, TicketDetailResponse, TicketEventResponse, TicketPageResponse, TicketResponse,
} from './dto/ticket.response.dto';
import { IntakeService } from './intake.service';
import { TicketActionsService } from './ticket-actions.service';
import { TicketQueryService } from './ticket-query.service';
import { MaterialsService } from './materials.service';

/** File name extensions for downloads, by stored content type. */
const EXTENSIONS: Readonly<Record<string, string>> = { 'image/jpeg': '.jpg', 'image/png': '.png', 'image/webp': '.webp', 'application/pdf': '.pdf' };

@ApiTags('tickets 工单')
@Controller('api/v1/tickets')
export class TicketsController {
  constructor(
    private readonly intake: IntakeService,
    private readonly actions: TicketActionsService,
    private readonly query: TicketQueryService,
    private readonly attachments: AttachmentsService,
    private readonly materials: MaterialsService,
  ) {}

  /** 上报: file a ticket. A retry with the same Idempotency-Key returns the first ticket (200 instead of 201). */
  @Post()
  @RequirePermission(Permission.TicketFile)
  @ApiHeader({ name: 'Idempotency-Key', required: false })
  async file(
    @CurrentUser() user: Principal,
    @Body() body: FileTicketRequest,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<FiledTicketResponse> {
    const result = await this.intake.file(user, body, key);
    void reply.status(result.replayed ? 200 : 201);
    return { ...result.ticket, duplicateSuggestions: result.duplicates };
  }

  @Get()
  @RequirePermission(Permission.TicketRead)
  list(@CurrentUser() user: Principal, @Query() q: TicketListRequest): Promise<TicketPageResponse> {
    return this.query.list(user, q);
  }

  /** One ticket with its clocks and timeline. */
  @Get(':id')
  @RequirePermission(Permission.TicketRead)
  get(@CurrentUser() user: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<TicketDetailResponse> {
    return this.query.get(user, id);
  }

  @Get(':id/events')
  @RequirePermission(Permission.TicketRead)
  events(@CurrentUser() user: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<TicketEventResponse[]> {
    return this.query.events(user, id);
  }

  /** Every workflow action of SPEC §12; the body carries `expectedVersion` (409 when stale). */
  @Post(':id/actions/:action')
  @RequirePermission(Permission.TicketAct)
  @HttpCode(200)
  act(
    @CurrentUser() user: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Param('action') action: string,
    @Body() body: TicketActionRequest,
  ): Promise<TicketResponse> {
    return this.actions.act(user, id, action, body);
  }

  /** convenience_services: record the materials the resident has now provided (所需材料). */
  @Post(':id/materials')
  @RequirePermission(Permission.TicketAct)
  @HttpCode(200)
  setMaterials(@CurrentUser() user: Principal, @Param('id', ParseUUIDPipe) id: string, @Body() body: MaterialsRequest): Promise<TicketResponse> {
    return this.materials.record(user, id, body);
  }

  /**
   * Reveals full personal data, with a stated reason; every reveal is audited. The reporter, the personal attributes,
   * and the title, description, address and timeline notes and reasons as typed (elsewhere their phones, ID numbers
   * and e-mails are masked).
   */
  @Post(':id/reveal')
  @RequirePermission(Permission.TicketRevealPersonal)
  @HttpCode(200)
  reveal(@CurrentUser() user: Principal, @Param('id', ParseUUIDPipe) id: string, @Body() body: RevealRequest, @Meta() meta: RequestMeta): Promise<RevealResponse> {
    return this.query.reveal(user, id, body.reason, meta.requestId);
  }

  /** Upload a photo or PDF as the raw body (Content-Type image/jpeg, image/png, image/webp or application/pdf). */
  @Post(':id/attachments')
  @RequirePermission(Permission.TicketAct)
  @Consumes('image/jpeg', 'image/png', 'image/webp', 'application/pdf')
  upload(
    @CurrentUser() user: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Headers('content-type') type: string | undefined,
    @Body() body: unknown,
  ): Promise<AttachmentResponse> {
    return this.attachments.upload(user, id, type, body);
  }

  @Get(':id/attachments')
  @RequirePermission(Permission.TicketRead)
  listAttachments(@CurrentUser() user: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<AttachmentResponse[]> {
    return this.attachments.list(user, id);
  }

  /**
   * The stored bytes with the stored (sniff-checked) content type, never sniffed by the browser (`nosniff`). Images
   * are shown inline; anything else (PDF) is a download (`Content-Disposition: attachment`), so a PDF whose bytes
   * also hold HTML or script is never rendered by the browser as a page of this origin.
   */
  @Get(':id/attachments/:attachmentId')
  @RequirePermission(Permission.TicketRead)
  async download(
    @CurrentUser() user: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Param('attachmentId', ParseUUIDPipe) attachmentId: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Buffer> {
    const file = await this.attachments.download(user, id, attachmentId);
    const disposition = file.contentType.startsWith('image/') ? 'inline' : 'attachment';
    void reply
      .header('content-type', file.contentType)
      .header('x-content-type-options', 'nosniff')
      .header('content-disposition', `${disposition}; filename="${file.id}${EXTENSIONS[file.contentType] ?? ''}"`)
      .header('cache-control', 'private, no-store');
    return file.bytes;
  }
}
