import { loadConfig } from '../config/app-config';
import { retryPolicy } from './outbox.service';

describe('retryPolicy', () => {
  it('gives webhook notifications the configured attempts and backoff, every other job five tries from 1 s', () => {
    const config = loadConfig({ SLA_NOTIFY_ATTEMPTS: '7', SLA_NOTIFY_BACKOFF_MS: '2500' });
    expect(retryPolicy('sla.notify', config)).toEqual({ attempts: 7, backoff: { type: 'exponential', delay: 2500 } });
    for (const name of ['sla.fire', 'dispatch.route', 'outbox.relay']) {
      expect(retryPolicy(name, config)).toEqual({ attempts: 5, backoff: { type: 'exponential', delay: 1000 } });
    }
  });
});
