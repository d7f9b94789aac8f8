/** An Open311 API key as admins see it. The key itself is shown once, when it is created. */
export class Open311KeyResponse {
  id!: string;
  name!: string;
  /** The first characters of the key, to tell keys apart. */
  keyPrefix!: string;
  jurisdictionNodeId!: string;
  jurisdictionCode!: string;
  jurisdictionName!: string;
  rateLimitPerMinute!: number;
  active!: boolean;
  createdAt!: string;
  revokedAt!: string | null;
}

export class CreatedOpen311KeyResponse extends Open311KeyResponse {
  /** The API key: give it to the client now; only its hash is kept. */
  key!: string;
}
