import { Foundation1764230400000 } from './1764230400000-foundation';

/** Every migration in order. Listed explicitly so Jest, the compiled app and the TypeORM CLI load the same set. */
export const migrations = [Foundation1764230400000];
