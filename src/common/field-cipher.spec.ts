import { randomBytes } from 'node:crypto';
import { FieldCipher } from './field-cipher';

describe('FieldCipher', () => {
  const k1 = randomBytes(32);
  const k2 = randomBytes(32);
  it('round-trips and never stores the plain text', () => {
    const c = new FieldCipher(k1);
    const enc = c.encrypt('13812341234');
    expect(enc).not.toContain('1381234');
    expect(enc).not.toBe(c.encrypt('13812341234'));
    expect(c.decrypt(enc)).toBe('13812341234');
  });
  it('decrypts values of a previous key during rotation and flags them', () => {
    const old = new FieldCipher(k1).encrypt('张三');
    const rotated = new FieldCipher(k2, [k1]);
    expect(rotated.decrypt(old)).toBe('张三');
    expect(rotated.needsRotation(old)).toBe(true);
    expect(rotated.needsRotation(rotated.encrypt('张三'))).toBe(false);
    expect(() => new FieldCipher(k2).decrypt(old)).toThrow(/unknown key/);
  });
  it('detects tampering', () => {
    const c = new FieldCipher(k1);
    const parts = c.encrypt('secret').split('.');
    parts[4] = Buffer.from('SECRET').toString('base64url');
    expect(() => c.decrypt(parts.join('.'))).toThrow();
  });
});
