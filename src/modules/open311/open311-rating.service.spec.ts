import type { TicketActionsService } from '../tickets/ticket-actions.service';
import { TicketErrorCode, TicketException, WorkflowRefusal } from '../tickets/tickets.exception';
import type { Open311AccessService } from './open311-access.service';
import { parseRatingForm } from './open311-form';
import { Open311RatingService } from './open311-rating.service';
import { Open311ErrorCode, Open311Exception } from './open311.exception';
import type { Open311Repository, RatingTarget } from './open311.repository';
import type { Open311Service } from './open311.service';

describe('open311 rating form', () => {
  it('maps the Open311 values and the zh-CN words to the workflow satisfaction; resolved follows it unless given', () => {
    expect(parseRatingForm({ api_key: 'k', satisfaction: 'satisfied' }, {})).toEqual({ ok: true, value: { satisfaction: 'satisfied', resolved: true, comment: undefined } });
    expect(parseRatingForm({ satisfaction: '基本满意', comment: ' 还行 ' }, { api_key: 'k' })).toEqual({ ok: true, value: { satisfaction: 'basically_satisfied', resolved: true, comment: '还行' } });
    expect(parseRatingForm({ satisfaction: '不满意' }, {})).toEqual({ ok: true, value: { satisfaction: 'dissatisfied', resolved: false, comment: undefined } });
    expect(parseRatingForm({ satisfaction: 'dissatisfied', resolved: 'true' }, {})).toMatchObject({ ok: true, value: { resolved: true } });
  });

  it('names each bad field', () => {
    const r = parseRatingForm({ satisfaction: 'SATISFIED', resolved: '1', stars: '5', comment: 'a\u0000' }, {});
    expect(r.ok || r.errors.map((e) => e.field).sort()).toEqual(['comment', 'resolved', 'satisfaction', 'stars']);
    expect(parseRatingForm({}, {}).ok).toBe(false);
    expect(parseRatingForm({ satisfaction: ['satisfied', 'dissatisfied'] }, {}).ok).toBe(false);
  });
});

describe('Open311RatingService', () => {
  const key = { id: 'key-1' };
  const target = (over: Partial<RatingTarget> = {}): RatingTarget => ({ id: 't1', version: 7, status: 'resolved', platform: 'request_handling', api_key_id: 'key-1', ...over });

  function build(targets: RatingTarget[], outcomes: Array<Error | undefined>) {
    const calls: Array<{ filer: string; body: unknown }> = [];
    const access = { admit: jest.fn(async () => key) } as unknown as Open311AccessService;
    const reads = { request: jest.fn(async (n: string) => ({ service_request_id: n })) } as unknown as Open311Service;
    const repo = { ratingTarget: jest.fn(async () => targets.shift() ?? targets[0]) } as unknown as Open311Repository;
    const actions = {
      actAsFiler: jest.fn(async (_id: string, filer: string, _action: string, body: unknown) => {
        calls.push({ filer, body });
        const e = outcomes.shift();
        if (e) throw e;
      }),
    } as unknown as TicketActionsService;
    return { service: new Open311RatingService(access, reads, actions, repo), calls };
  }
  const stale = () => new TicketException(TicketErrorCode.STALE_VERSION);
  const code = async (p: Promise<unknown>) => p.then(() => 'ok', (e: unknown) => (e instanceof Open311Exception ? e.open311Code : e));

  it('acts as the filing key with the version it read; a stale version is read again and retried once', async () => {
    const { service, calls } = build([target(), target({ version: 8 })], [stale(), undefined]);
    await expect(service.rate('FX-1', { api_key: 'k', satisfaction: 'satisfied' }, {}, '::1')).resolves.toEqual({ service_request_id: 'FX-1' });
    expect(calls).toEqual([
      { filer: 'open311-key:key-1', body: { expectedVersion: 7, contacted: true, resolved: true, satisfaction: 'satisfied' } },
      { filer: 'open311-key:key-1', body: { expectedVersion: 8, contacted: true, resolved: true, satisfaction: 'satisfied' } },
    ]);
  });

  it('a second stale version is a 409 conflict; a workflow refusal in between is a 409 too', async () => {
    expect(await code(build([target(), target()], [stale(), stale()]).service.rate('FX-1', { satisfaction: 'satisfied' }, {}, '::1'))).toBe(Open311ErrorCode.CONFLICT);
    const illegal = new WorkflowRefusal(409, 'ILLEGAL_TRANSITION', { en: 'not now', zh: '不行' });
    expect(await code(build([target()], [illegal]).service.rate('FX-1', { satisfaction: 'satisfied' }, {}, '::1'))).toBe(Open311ErrorCode.NOT_AWAITING_RATING);
  });

  it('refuses before acting: another key 403 (404 when unpublished), not resolved or not 诉求办理 409', async () => {
    const cases: Array<[RatingTarget, Open311ErrorCode]> = [
      [target({ api_key_id: 'key-2' }), Open311ErrorCode.NOT_FILER],
      [target({ api_key_id: null }), Open311ErrorCode.REQUEST_NOT_FOUND], // staff-filed 诉求办理: never published
      [target({ api_key_id: 'key-2', platform: 'convenience_services' }), Open311ErrorCode.REQUEST_NOT_FOUND],
      [target({ status: 'in_progress' }), Open311ErrorCode.NOT_AWAITING_RATING],
      [target({ platform: 'community_governance' }), Open311ErrorCode.NOT_AWAITING_RATING],
    ];
    for (const [t, expected] of cases) {
      const { service, calls } = build([t], []);
      expect(await code(service.rate('FX-1', { satisfaction: 'satisfied' }, {}, '::1'))).toBe(expected);
      expect(calls).toEqual([]);
    }
  });
});
