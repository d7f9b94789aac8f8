import { Injectable } from '@nestjs/common';
import { TicketActionsService } from '../tickets/ticket-actions.service';
import { TicketErrorCode, TicketException, WorkflowRefusal } from '../tickets/tickets.exception';
import { parseRatingForm } from './open311-form';
import { isPublished, type Open311Request } from './open311.mapper';
import type { Open311Caller } from './open311-access.service';
import { Open311AccessService } from './open311-access.service';
import { Open311ErrorCode, Open311Exception } from './open311.exception';
import { Open311Repository, type RatingTarget } from './open311.repository';
import { Open311Service } from './open311.service';

const NUMBER = /^[A-Za-z0-9-]{1,40}$/;

/** Our state words for the refusal's detail: which step the request is at instead of 待回访. */
const STATE_ZH: Record<string, string> = {
  reported: '待立案', registered: '待派遣', dispatched: '待签收', returned: '退单审核中', in_progress: '处置中', suspended: '挂起',
  closed: '已结案', archived: '已回访归档', voided: '已作废', cancelled: '已撤销', merged: '已并单',
};

/**
 * Our GeoReport extension `POST requests/{id}/rating`: the client app that filed a 诉求办理 request submits its
 * resident's rating (回访) once the request is resolved. It is the workflow's `callback` action by actor role
 * `resident` (contacted: the resident answered), through TicketActionsService like every other action, so the
 * event log, the callback clock, the reports (响应率 / 解决率 / 满意率) and 不满意 → 重办 + 督办 all apply.
 * Only the API key that filed the request may rate it.
 */
@Injectable()
export class Open311RatingService {
  constructor(
    private readonly access: Open311AccessService,
    private readonly reads: Open311Service,
    private readonly actions: TicketActionsService,
    private readonly repo: Open311Repository,
  ) {}

  async rate(number: string, body: unknown, query: unknown, ip: string): Promise<Open311Request> {
    const given = (source: unknown) => (source !== null && typeof source === 'object' ? (source as Record<string, unknown>).api_key : undefined);
    const raw = given(body) ?? given(query);
    const caller: Open311Caller = { apiKey: typeof raw === 'string' ? raw : undefined, ip };
    // The key is checked (and the call counted) before anything else is said about the request.
    const key = (await this.access.admit(caller, true))!;
    const parsed = parseRatingForm(body, query);
    if (!parsed.ok) throw new Open311Exception(Open311ErrorCode.INVALID_PARAMETER, undefined, parsed.errors);
    const rating = parsed.value;

    const input = {
      contacted: true, resolved: rating.resolved, satisfaction: rating.satisfaction,
      ...(rating.comment !== undefined ? { note: rating.comment } : {}),
    };
    // The version is read here, not asked of the client; a ticket that changed in between is read again once.
    for (let attempt = 1; ; attempt++) {
      const target = await this.target(number, key.id);
      try {
        await this.actions.actAsFiler(target.id, `open311-key:${key.id}`, 'callback', { expectedVersion: target.version, ...input });
        break;
      } catch (err) {
        if (err instanceof TicketException && err.ticketCode === TicketErrorCode.STALE_VERSION) {
          if (attempt < 2) continue;
          throw new Open311Exception(Open311ErrorCode.CONFLICT);
        }
        if (err instanceof WorkflowRefusal) throw refusal(err);
        throw err;
      }
    }
    return this.reads.request(number, undefined);
  }

  /**
   * The ticket to rate, refused in the order: unknown → 404; filed by another key or by staff → 403, or 404
   * when GET would not show it either (its existence is not revealed); not a resolved 诉求办理 request → 409.
   */
  private async target(number: string, keyId: string): Promise<RatingTarget> {
    const t = NUMBER.test(number) ? await this.repo.ratingTarget(number) : undefined;
    if (!t) throw new Open311Exception(Open311ErrorCode.REQUEST_NOT_FOUND);
    if (t.api_key_id !== keyId) {
      if (!isPublished({ platform: t.platform, via_open311: t.api_key_id !== null })) throw new Open311Exception(Open311ErrorCode.REQUEST_NOT_FOUND);
      throw new Open311Exception(Open311ErrorCode.NOT_FILER);
    }
    if (t.platform !== 'request_handling') {
      throw new Open311Exception(Open311ErrorCode.NOT_AWAITING_RATING, {
        en: 'only requests of the 诉求办理 (request handling) services are rated', zh: '只有诉求办理类请求可以评价',
      });
    }
    if (t.status !== 'resolved') {
      const state = STATE_ZH[t.status] ?? t.status;
      throw new Open311Exception(Open311ErrorCode.NOT_AWAITING_RATING, {
        en: `a request is rated once it is resolved and awaits the callback; this one is ${t.status === 'archived' ? 'already rated or archived' : `at "${t.status}"`}`,
        zh: `办结后待回访时才能评价，该请求当前为「${state}」`,
      });
    }
    return t;
  }
}

/** A workflow refusal that got past the checks above (a change in between) in Open311's words. */
function refusal(err: WorkflowRefusal): Open311Exception {
  const detail = { en: err.text.en, zh: err.text.zh };
  if (err.status === 409) return new Open311Exception(Open311ErrorCode.NOT_AWAITING_RATING, detail);
  if (err.status === 403) return new Open311Exception(Open311ErrorCode.NOT_FILER, detail);
  return new Open311Exception(Open311ErrorCode.INVALID_PARAMETER, detail);
}
