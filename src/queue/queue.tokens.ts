export const QUEUE_BACKEND = Symbol('QUEUE_BACKEND');
export const JOB_HANDLERS = Symbol('JOB_HANDLERS');
