import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { inSubtree } from './routing-rules';

/** What the database announces on commit (trigger `dispatch_notify`): ids and states, never personal data. */
export interface QueueNotice {
  id: string;
  platform: string;
  status: string;
  from: string | null;
  unitId: string | null;
  prevUnitId: string | null;
  handlerId: string | null;
  ownerless: boolean;
  gridPath: string;
  version: number;
}

/** What a console is told: a ticket arrived, was claimed (signed), changed in place, or left the queue. */
export type QueueEventKind = 'new' | 'claimed' | 'changed' | 'removed';
export type QueueFilter = (n: QueueNotice) => QueueEventKind | null;

const CHANNEL = 'fx_dispatch_queue';
const TRIAGE = new Set(['reported', 'registered', 'returned']);

/**
 * Whether a ticket in this status waits in triage (as `DispatchRepository.triage` lists it): reported, registered
 * (待派遣) or returned — except a registered party_building ticket, which waits in the volunteers' claim pool.
 */
export function inTriage(status: string | null, platform: string): boolean {
  return status !== null && TRIAGE.has(status) && !(status === 'registered' && platform === 'party_building');
}

/**
 * Triage of a subtree: tickets entering (`new`: filed, returned, sent back to 待派遣), changing within (`changed`:
 * registered 立案 stays in triage, waiting for dispatch), taken out of it to be worked on (`claimed`: dispatched to a
 * unit, or a party_building task registered into the claim pool) or leaving it otherwise (`removed`).
 */
export function triageFilter(scopePath: string, seesDisputes: boolean): QueueFilter {
  return (n) => {
    if (!inSubtree(n.gridPath, scopePath) || (!seesDisputes && n.platform === 'dispute_resolution')) return null;
    const now = inTriage(n.status, n.platform);
    const before = inTriage(n.from, n.platform);
    if (now && !before) return 'new';
    if (now && before) return 'changed';
    if (!now && before) return n.status === 'dispatched' || (n.status === 'registered' && n.platform === 'party_building') ? 'claimed' : 'removed';
    return null;
  };
}

/**
 * A unit's inbox: dispatched to it (new), signed out of it (claimed), handed elsewhere (removed), or changed. With
 * `assignedOnly` (a handler), a dispute handed to another mediator is left out, as the inbox list leaves it out.
 */
export function inboxFilter(unitId: string, scopePath: string, seesDisputes: boolean, assignedOnly: string | null = null): QueueFilter {
  return (n) => {
    if (!inSubtree(n.gridPath, scopePath) || (!seesDisputes && n.platform === 'dispute_resolution')) return null;
    if (assignedOnly && n.platform === 'dispute_resolution' && n.handlerId !== null && n.handlerId !== assignedOnly) return null;
    const inNow = n.status === 'dispatched' && n.unitId === unitId;
    const inBefore = n.from === 'dispatched' && (n.prevUnitId ?? n.unitId) === unitId;
    if (inNow && !inBefore) return 'new';
    if (inNow) return 'changed';
    if (inBefore) return n.status === 'in_progress' && n.unitId === unitId ? 'claimed' : 'removed';
    return null;
  };
}

interface Subscriber {
  filter: QueueFilter;
  reply: FastifyReply;
  heartbeat: NodeJS.Timeout;
  expiry?: NodeJS.Timeout;
}

/**
 * Live queue streams (server-sent events). One LISTEN connection per process fans the database's NOTIFYs out
 * to the open streams, so every API process sees every change, whichever process made it. The connection is
 * opened on the first subscriber only, so the worker process never holds one.
 */
@Injectable()
export class QueueEventsService implements OnApplicationShutdown {
  private readonly logger = new Logger('QueueEvents');
  private readonly subscribers = new Set<Subscriber>();
  private listener: Promise<Client> | null = null;

  constructor(private readonly ds: DataSource) {}

  /**
   * Opens an SSE stream on the hijacked reply; it ends when the client leaves, when the caller's access token
   * expires (`expiresAt`: an `expired` event, then the end — the console reconnects with a fresh token, and a
   * deactivated user cannot), or when the process shuts down.
   */
  async stream(req: FastifyRequest, reply: FastifyReply, filter: QueueFilter, expiresAt?: number): Promise<void> {
    // Listened for before the first await: a client gone while the LISTEN connection opens is never subscribed.
    let gone = false;
    req.raw.once('close', () => { gone = true; });
    await this.listen();
    if (gone) return;
    reply.hijack();
    reply.raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-request-id': String(req.id),
    });
    reply.raw.write(`retry: 3000\nevent: ready\ndata: {}\n\n`);
    const sub: Subscriber = { filter, reply, heartbeat: setInterval(() => reply.raw.write(`: keep-alive\n\n`), 15_000) };
    sub.heartbeat.unref();
    if (expiresAt !== undefined) {
      sub.expiry = setTimeout(() => {
        this.drop(sub);
        reply.raw.end(`event: expired\ndata: {}\n\n`);
      }, Math.max(0, expiresAt - Date.now()));
      sub.expiry.unref();
    }
    this.subscribers.add(sub);
    req.raw.on('close', () => this.drop(sub));
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  onNotice(n: QueueNotice): void {
    for (const s of this.subscribers) {
      const kind = s.filter(n);
      if (!kind) continue;
      s.reply.raw.write(`event: ${kind}\ndata: ${JSON.stringify({ ticketId: n.id, status: n.status, version: n.version, ownerless: n.ownerless })}\n\n`);
    }
  }

  private drop(s: Subscriber): void {
    clearInterval(s.heartbeat);
    clearTimeout(s.expiry);
    this.subscribers.delete(s);
  }

  private listen(): Promise<Client> {
    this.listener ??= (async () => {
      const url = (this.ds.options as { url?: string }).url;
      const client = new Client({ connectionString: url, application_name: 'fuxin-grid-cases-listen' });
      client.on('notification', (msg) => {
        if (msg.channel !== CHANNEL || !msg.payload) return;
        try {
          this.onNotice(JSON.parse(msg.payload) as QueueNotice);
        } catch (err) {
          this.logger.warn(`bad queue notice: ${(err as Error).message}`);
        }
      });
      client.on('error', (err) => {
        // Lost the LISTEN connection: streams cannot be trusted any more; clients reconnect (SSE retry) and reload.
        this.logger.warn(`queue listener lost: ${err.message}`);
        this.listener = null;
        for (const s of [...this.subscribers]) { this.drop(s); s.reply.raw.end(); }
      });
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
      return client;
    })().catch((err: unknown) => {
      this.listener = null;
      throw err;
    });
    return this.listener;
  }

  async onApplicationShutdown(): Promise<void> {
    for (const s of [...this.subscribers]) { this.drop(s); s.reply.raw.end(); }
    const l = this.listener;
    this.listener = null;
    if (l) await l.then((c) => c.end()).catch(() => undefined);
  }
}
