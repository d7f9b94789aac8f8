/**
 * Masking of personal data (个人信息, PIPL): every response, export and log shows only these forms.
 * Pure functions; the full values are stored encrypted (FieldCipher) and revealed only through the
 * audited reveal endpoint.
 */
/**
 * A phone as `138****1234` (11 digits or more, with a prefix or area code: the first three and the last four); a
 * shorter number keeps only its last four (`****5678` for an 8-digit landline: 3 + 4 of 7 or 8 digits would show
 * nearly all of it); a short code its first and last character.
 */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/\s+/g, '');
  const count = digits.replace(/\D/g, '').length;
  if (count >= 11) return `${digits.slice(0, 3)}****${digits.slice(-4)}`;
  if (digits.length >= 7) return `****${digits.slice(-4)}`;
  if (digits.length >= 3) return `${digits.slice(0, 1)}${'*'.repeat(digits.length - 2)}${digits.slice(-1)}`;
  return '*'.repeat(digits.length);
}

/** A name as its first character and stars (`张*`, `欧***`); a one-character name shows none of it (`*`). */
export function maskName(name: string): string {
  const chars = [...name.trim()];
  if (chars.length === 0) return '';
  if (chars.length === 1) return '*';
  return chars[0] + '*'.repeat(chars.length - 1);
}

export function maskIdNumber(id: string): string {
  const s = id.trim();
  if (s.length <= 8) return '*'.repeat(s.length);
  return `${s.slice(0, 6)}${'*'.repeat(s.length - 10)}${s.slice(-4)}`;
}

export interface Party {
  role: string;
  name: string;
  phone?: string;
  idNumber?: string;
}

export function maskParty(p: Party): Party {
  return {
    role: p.role,
    name: maskName(p.name),
    ...(p.phone ? { phone: maskPhone(p.phone) } : {}),
    ...(p.idNumber ? { idNumber: maskIdNumber(p.idNumber) } : {}),
  };
}

/** Masks any personal attribute value: a list of parties, or a plain string treated as a name. */
export function maskPersonalValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => (v && typeof v === 'object' ? maskParty(v as Party) : maskName(String(v))));
  if (typeof value === 'string') return maskName(value);
  return value;
}
