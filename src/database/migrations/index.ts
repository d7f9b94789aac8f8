import { Foundation1764230400000 } from './1764230400000-foundation';
import { Catalogue1764230500000 } from './1764230500000-catalogue';
import { Tickets1764230600000 } from './1764230600000-tickets';
import { Outbox1764230650000 } from './1764230650000-outbox';

/** Every migration in order. Listed explicitly so Jest, the compiled app and the TypeORM CLI load the same set. */
export const migrations = [Foundation1764230400000, Catalogue1764230500000, Tickets1764230600000, Outbox1764230650000];
