import { randomBytes } from 'node:crypto';
import { ENCRYPTED_COLUMNS, rotatePersonalData } from '../../src/cli/pii-rotation';
import { FieldCipher } from '../../src/common/field-cipher';
import { createTestApp, type TestApp } from '../support/test-app';
import { MANHOLE, fileTicket } from '../support/tickets';

/** Key rotation: values written under the old PII_KEY are re-encrypted under the new one, nothing lost. */
describe('PII key rotation 个人信息密钥轮换', () => {
  let t: TestApp;
  let before: FieldCipher;

  /** Every stored encrypted value, as `table.column:key` → stored text. */
  const stored = async (): Promise<Map<string, string>> => {
    const out = new Map<string, string>();
    for (const { table, key, columns } of ENCRYPTED_COLUMNS) {
      const rows: Array<Record<string, string | null>> = await t.ds.query(`SELECT ${key}::text AS k, ${columns.join(', ')} FROM ${table}`);
      for (const r of rows) for (const c of columns) if (r[c]) out.set(`${table}.${c}:${r.k}`, r[c]!);
    }
    return out;
  };

  beforeAll(async () => {
    t = await createTestApp();
    before = new FieldCipher(t.config.piiKey, t.config.piiPreviousKeys);
    const grid = await t.login('demo.grid');
    // A reporter (name, phone), dispute-like personal attributes are covered by personal_enc when present,
    // an Open311 filing with e-mail and device id, and a TOTP secret: one value in every encrypted column.
    for (let i = 0; i < 5; i++) expect((await fileTicket(t, grid, { ...MANHOLE, title: `轮换测试${i}`, reporter: { name: `王${i}`, phone: `1390000000${i}` } })).status).toBe(201);
    const form = new URLSearchParams({
      api_key: 'demo-open311-key', service_code: '0101', lat: String(MANHOLE.lat), long: String(MANHOLE.lng), description: '井盖缺失',
      email: 'li.ming@example.cn', device_id: 'device-42', first_name: '明', last_name: '李', phone: '13700001111',
    });
    expect((await t.request('POST', '/open311/v2/requests.json', { raw: form.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } })).status).toBe(200);
    await t.ds.query(`UPDATE users SET totp_secret = $1 WHERE username = 'demo.official'`, [before.encrypt('JBSWY3DPEHPK3PXP')]);
  });
  afterAll(async () => { await t.close(); });

  it('re-encrypts every value under the new key in batches, keeps every plaintext, and a second run finds nothing', async () => {
    const old = await stored();
    expect([...old.keys()].some((k) => k.startsWith('tickets.reporter_phone_enc'))).toBe(true);
    expect([...old.keys()].some((k) => k.startsWith('open311_requests.email_enc'))).toBe(true);
    expect([...old.keys()].some((k) => k.startsWith('users.totp_secret'))).toBe(true);
    const plain = new Map([...old].map(([k, v]) => [k, before.decrypt(v)]));
    // One value under a key nobody has any more: reported, left alone.
    const lost = `v1.XXXXXXXX.${randomBytes(12).toString('base64url')}.${randomBytes(16).toString('base64url')}.abcd`;
    await t.ds.query(`UPDATE users SET totp_secret = $1 WHERE username = 'demo.handler'`, [lost]);
    const [handler] = await t.ds.query(`SELECT id::text AS id FROM users WHERE username = 'demo.handler'`);
    const withLost = new Map([...old, [`users.totp_secret:${handler.id}`, lost]]);

    const newKey = randomBytes(32);
    const after = new FieldCipher(newKey, [t.config.piiKey]);
    const dry = await rotatePersonalData(t.ds, after, { batch: 2, dryRun: true });
    expect(Object.values(dry.rotated).reduce((a, b) => a + b, 0)).toBe(old.size);
    expect(await stored()).toEqual(withLost); // a dry run changes nothing

    const report = await rotatePersonalData(t.ds, after, { batch: 2 });
    expect(Object.values(report.rotated).reduce((a, b) => a + b, 0)).toBe(old.size);
    expect(report.undecryptable['users.totp_secret']).toBe(1);
    expect(report.skipped).toBe(0);

    const now = await stored();
    const onlyNew = new FieldCipher(newKey);
    for (const [k, text] of plain) {
      const v = now.get(k)!;
      expect(v.split('.')[1]).toBe(FieldCipher.keyId(newKey));
      expect(v).not.toBe(old.get(k));
      expect(onlyNew.decrypt(v)).toBe(text);
    }
    expect([...now.values()]).toContain(lost);

    const again = await rotatePersonalData(t.ds, after, { batch: 2 });
    expect(Object.values(again.rotated).every((n) => n === 0)).toBe(true);
  });
});
