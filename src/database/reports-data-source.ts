/**
 * The DataSource report queries read: a read replica when REPORTS_DATABASE_URL is set, otherwise the primary
 * DataSource itself. Only reads go through it; the fold, score versions and everything else write the primary.
 */
export const REPORTS_DATA_SOURCE = Symbol('REPORTS_DATA_SOURCE');
