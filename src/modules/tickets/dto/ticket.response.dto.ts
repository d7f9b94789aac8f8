/** A ticket as the API returns it. Personal data is always masked here. */
export class ClockResponse {
  stage!: string;
  state!: string;
  clockType!: string;
  startedAt!: string;
  deadline!: string | null;
  stoppedAt!: string | null;
  overdue!: boolean;
  thresholdsFired!: string[];
  clockVersion!: number;
  calendarVersions!: Record<string, number>;
}

export class TicketResponse {
  id!: string;
  number!: string;
  platform!: string;
  categoryId!: string;
  categoryCode!: string;
  caseStandardId!: string | null;
  priority!: string;
  /** Null when `contentRestricted`. */
  title!: string | null;
  /** Null when `contentRestricted`. */
  description!: string | null;
  address!: string | null;
  lat!: number | null;
  lng!: number | null;
  gridNodeId!: string;
  channel!: string;
  /** Links to the filer's own media (photos, videos), as filed; empty when `contentRestricted`. */
  mediaUrls!: string[];
  reporter!: { name: string | null; phone: string | null } | null;
  attributes!: Record<string, unknown>;
  status!: string;
  previousStatus!: string | null;
  unitId!: string | null;
  coUnitIds!: string[];
  handlerId!: string | null;
  /**
   * 建议派往单位: the unit the dispatch catalogue proposes, kept by routing when the matching rule does not
   * dispatch by itself (see docs/dispatch.md); null otherwise. A hint for the dispatcher, not an assignment.
   */
  suggestedUnitId!: string | null;
  /** The routing rule that proposed `suggestedUnitId`. */
  suggestedByRuleId!: string | null;
  filedBy!: string | null;
  resolvedBy!: string | null;
  parentId!: string | null;
  bounceCount!: number;
  ownerless!: boolean;
  supervisionCount!: number;
  /**
   * 预警标记 SLA alert: the highest colour (blue 催办, yellow 预警, red 超期 and the 督办/通报 steps) fired on the
   * ticket's live clocks; null when none has fired. Clears when those clocks stop (e.g. the handler reports:
   * the 处置 clock stops) or restart; a pause or an extension keeps it. A breach alone is not a supervision
   * (`supervisionCount`).
   */
  slaAlert!: 'blue' | 'yellow' | 'red' | null;
  /** When the ticket took its `slaAlert` colour. */
  slaAlertedAt!: string | null;
  extensionPendingSeconds!: number | null;
  suspensionPending!: boolean;
  firstContactAt!: string | null;
  materialsComplete!: boolean | null;
  mediation!: { sessions: number; outcome: string | null; referral: string | null } | null;
  volunteerHours!: number | null;
  callback!: Record<string, unknown> | null;
  version!: number;
  createdAt!: string;
  updatedAt!: string;
  dispatchedAt!: string | null;
  resolvedAt!: string | null;
  closedAt!: string | null;
  clocks!: ClockResponse[];
  /**
   * True when the caller may follow this ticket's status but not read its content: the grid worker who filed a
   * 纠纷化解 dispute. Title, description, location, reporter, attributes (parties, dispute type), mediation
   * (sessions, outcome) and callback are then null or empty; the timeline's notes and data are withheld.
   */
  contentRestricted!: boolean;
}

/** An attachment as the timeline lists it: no file name, no storage key. */
export class EventAttachmentResponse {
  id!: string;
  contentType!: string;
  sizeBytes!: number;
}

export class TicketEventResponse {
  seq!: number;
  action!: string;
  actorId!: string | null;
  actorRole!: string;
  actorName!: string | null;
  from!: string | null;
  to!: string;
  note!: string | null;
  data!: Record<string, unknown>;
  at!: string;
  /** Attachments linked to this event (e.g. the photos of a resolve); download through `/attachments/:id`. */
  attachments!: EventAttachmentResponse[];
  /** True when `note`, `data` and `attachments` are withheld (see `TicketResponse.contentRestricted`). */
  contentRestricted!: boolean;
}

/** A likely duplicate of a new filing (same category, near, recent, similar text), for the filer to see. */
export class DuplicateSuggestionResponse {
  id!: string;
  number!: string;
  status!: string;
  /** Metres from the new ticket, when both have a location. */
  distanceM!: number | null;
  /** Trigram similarity of the texts, 0–1. */
  similarity!: number;
}

/** The answer to a filing: the ticket, and the likely duplicates a dispatcher may merge it into. */
export class FiledTicketResponse extends TicketResponse {
  duplicateSuggestions!: DuplicateSuggestionResponse[];
}

/** One ticket with its timeline (`GET /tickets/:id`). */
export class TicketDetailResponse extends TicketResponse {
  timeline!: TicketEventResponse[];
}

/** An attachment's metadata (the bytes download separately). */
export class AttachmentResponse {
  id!: string;
  contentType!: string;
  sizeBytes!: number;
  sha256!: string;
  /** The event it was linked to (e.g. the resolve it documents), once linked. */
  eventId!: string | null;
  createdAt!: string;
}

/** A note or reason of the timeline, whole (`POST /tickets/:id/reveal`). */
export class RevealedNoteResponse {
  seq!: number;
  action!: string;
  note!: string | null;
  /** `data.reason` of the event (why it was returned, suspended, voided…), or null. */
  reason!: string | null;
  /** `data.publicNote` of the event (words for the resident), or null. */
  publicNote!: string | null;
}

/**
 * The audited reveal (SPEC §9): the personal data every other response masks, whole. The reporter and the personal
 * attributes (parties 当事人), and the free text as stored — title, description, address and the timeline's notes and
 * reasons — with the phones, ID numbers and e-mails typed into them unmasked.
 */
export class RevealResponse {
  reporter!: { name: string | null; phone: string | null };
  attributes!: Record<string, unknown>;
  title!: string;
  description!: string;
  address!: string | null;
  /** The events that carry a note, a reason or a public note, in timeline order. */
  notes!: RevealedNoteResponse[];
}

/** A page of tickets, newest first. */
export class TicketPageResponse {
  items!: TicketResponse[];
  /** Pass as `cursor` for the next page; null on the last one. */
  nextCursor!: string | null;
}
