import { Foundation1764230400000 } from './1764230400000-foundation';
import { Catalogue1764230500000 } from './1764230500000-catalogue';
import { Tickets1764230600000 } from './1764230600000-tickets';
import { Outbox1764230650000 } from './1764230650000-outbox';
import { Dispatch1764230700000 } from './1764230700000-dispatch';
import { Sla1764230800000 } from './1764230800000-sla';
import { Open3111764230900000 } from './1764230900000-open311';
import { Reports1764231000000 } from './1764231000000-reports';
import { ReportsFold1764231700000 } from './1764231700000-reports-fold';
import { OutboxRetention1764231500000 } from './1764231500000-outbox-retention';
import { SlaQueueAhead1764231900000 } from './1764231900000-sla-queue-ahead';
import { TicketsDupGeo1764232100000 } from './1764232100000-tickets-dup-geo';
import { ReportsStreetMonth1764232300000 } from './1764232300000-reports-street-month';
import { ReportsOpenMonth1764232500000 } from './1764232500000-reports-open-month';
import { DispatchTriageRegistered1764300300000 } from './1764300300000-dispatch-triage-registered';
import { SlaDefaultStageLimits1764300310000 } from './1764300310000-sla-default-stage-limits';
import { SlaFiringTarget1764300320000 } from './1764300320000-sla-firing-target';
import { ReportsUnitMonth1764300340000 } from './1764300340000-reports-unit-month';
import { ReportsFoldQuarantine1764300350000 } from './1764300350000-reports-fold-quarantine';
import { ReportsMoreGrains1764300360000 } from './1764300360000-reports-more-grains';
import { ReportsUnitReturns1764300370000 } from './1764300370000-reports-unit-returns';
import { DispatchNotifyOnVersion1764300380000 } from './1764300380000-dispatch-notify-on-version';
import { ReportsFactsNoMonthKey1764300390000 } from './1764300390000-reports-facts-no-month-key';
import { SlaFiringsFiredAt1764300400000 } from './1764300400000-sla-firings-fired-at';
import { ReportsUnitPlatform1764300410000 } from './1764300410000-reports-unit-platform';
import { ReportsDayUnit1764300420000 } from './1764300420000-reports-day-unit';
import { TicketMediaUrls1764300430000 } from './1764300430000-ticket-media-urls';
import { ReportsBusinessTimePauses1764300440000 } from './1764300440000-reports-business-time-pauses';
import { ReportsDayCategory1764300450000 } from './1764300450000-reports-day-category';
import { TicketEventsMonthlyPartitions1764300460000 } from './1764300460000-ticket-events-monthly-partitions';
import { TicketSlaAlert1764400000000 } from './1764400000000-ticket-sla-alert';
import { TicketSuggestedUnit1764400100000 } from './1764400100000-ticket-suggested-unit';
import { ReportsFactsEndedAt1764400200000 } from './1764400200000-reports-facts-ended-at';

/** Every migration in order. Listed explicitly so Jest, the compiled app and the TypeORM CLI load the same set. */
import { TicketSearchText1764400300000 } from './1764400300000-ticket-search-text';
import { AttachmentsImmutable1764400400000 } from './1764400400000-attachments-immutable';
export const migrations = [Foundation1764230400000, Catalogue1764230500000, Tickets1764230600000, Outbox1764230650000, Dispatch1764230700000, Sla1764230800000, Open3111764230900000, Reports1764231000000, OutboxRetention1764231500000, ReportsFold1764231700000, SlaQueueAhead1764231900000, TicketsDupGeo1764232100000, ReportsStreetMonth1764232300000, ReportsOpenMonth1764232500000,
  DispatchTriageRegistered1764300300000, SlaDefaultStageLimits1764300310000, SlaFiringTarget1764300320000, ReportsUnitMonth1764300340000,
  ReportsFoldQuarantine1764300350000, ReportsMoreGrains1764300360000, ReportsUnitReturns1764300370000,
  DispatchNotifyOnVersion1764300380000, ReportsFactsNoMonthKey1764300390000, SlaFiringsFiredAt1764300400000, ReportsUnitPlatform1764300410000, ReportsDayUnit1764300420000,
  TicketMediaUrls1764300430000, ReportsBusinessTimePauses1764300440000, ReportsDayCategory1764300450000,
  TicketEventsMonthlyPartitions1764300460000, TicketSlaAlert1764400000000,
  TicketSuggestedUnit1764400100000,
  ReportsFactsEndedAt1764400200000,
  TicketSearchText1764400300000,
  AttachmentsImmutable1764400400000];
