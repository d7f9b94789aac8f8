import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { Open311KeysService } from './open311-keys.service';
import { Open311ErrorCode, Open311Exception } from './open311.exception';
import { Open311Repository, type ApiKeyRow } from './open311.repository';

/** Who calls the public API: an API key, or anonymous (reads only), known by a hash of the IP address. */
export interface Open311Caller {
  apiKey: string | undefined;
  ip: string;
}

/**
 * Admission to /open311/v2: checks the api_key (when one is given, and always for POST) and counts the call
 * in a per-minute window kept in Postgres (`open311_rate_windows`), so that every API process shares one
 * counter per key (or per anonymous IP).
 */
@Injectable()
export class Open311AccessService {
  constructor(
    private readonly keys: Open311KeysService,
    private readonly repo: Open311Repository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async admit(caller: Open311Caller, keyRequired: boolean): Promise<ApiKeyRow | undefined> {
    let key: ApiKeyRow | undefined;
    if (caller.apiKey !== undefined || keyRequired) {
      key = await this.keys.authenticate(caller.apiKey);
      if (!key) throw new Open311Exception(Open311ErrorCode.INVALID_API_KEY);
    }
    // The IP is personal data too: only a hash of it is stored, and only for a few minutes.
    const subject = key ? `key:${key.id}` : `ip:${createHash('sha256').update(caller.ip).digest('hex').slice(0, 40)}`;
    const limit = key ? key.rate_limit_per_minute : this.config.open311.anonymousPerMinute;
    const { hits, retryAfterSeconds } = await this.repo.hit(subject);
    if (hits > limit) {
      const e = new Open311Exception(Open311ErrorCode.RATE_LIMITED, { en: `limit ${limit} per minute`, zh: `每分钟最多 ${limit} 次` });
      e.retryAfterSeconds = retryAfterSeconds;
      throw e;
    }
    return key;
  }
}
