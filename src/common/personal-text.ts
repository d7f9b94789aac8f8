/**
 * Masking of personal data typed into free text (a ticket's title, description, address, a note or reason): what a
 * resident or a hotline operator writes may hold a phone number, an ID number or an e-mail address (SPEC §9: masked by
 * default everywhere). Only these are masked, each by its own precise shape; every other run of digits stays as typed
 * (ticket numbers FX-20261127-000123, dates, amounts, house numbers, ids).
 *
 * - 手机号 mobile: 11 digits 1[3-9]…, optionally +86 / 0086 / 86 and separated by spaces or dashes (138 1234 5678):
 *   `138****5678` (a prefix stays as typed: `+86 138****5678`).
 * - 固定电话 landline: 0 + 2–3 digit area code, optional dash or space, 7–8 digits: `0418-1234567` → `041****4567`.
 * - 身份证号 ID number: 18 characters, 17 digits + digit or X, with a plausible birth date: `2109**********1234`.
 * - 邮箱 e-mail: `a***@b.cn` (the first character of the local part, then the domain).
 *
 * Pure; one pass, so what was masked is never matched again. The stored text keeps the full values; search works on
 * the masked copy (`searchText`); a full value is shown only through the audited reveal.
 */

const UUID = String.raw`[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}`;
const EMAIL = String.raw`(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}`;
// Region (first digit 1–9), birth date 18xx/19xx/20xx-MM-DD, sequence, check digit or X.
const ID_NUMBER = String.raw`(?<!\d)[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![\dXx])`;
const MOBILE = String.raw`(?<![\d+])(?:(?:\+|00)?86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}(?!\d)`;
const LANDLINE = String.raw`(?<![\d-])0\d{2,3}[ -]?\d{7,8}(?![\d-])`;

/** One alternation: a UUID is matched first and kept, so no digits inside an id are ever taken for a phone. */
const PERSONAL = new RegExp(`(${UUID})|(${EMAIL})|(${ID_NUMBER})|(${MOBILE})|(${LANDLINE})`, 'g');

function maskDigits(digits: string): string {
  return `${digits.slice(0, 3)}****${digits.slice(-4)}`;
}

function maskMobile(m: string): string {
  // What precedes the number itself (+86, 0086, 86, with its separator) stays as typed.
  const start = /1[3-9]\d(?:[ -]?\d{4}){2}$/.exec(m)?.index ?? 0;
  return `${m.slice(0, start)}${maskDigits(m.slice(start).replace(/\D/g, ''))}`;
}

/** Masks the personal data in a free text; null stays null. */
export function maskPersonalText(text: string): string;
export function maskPersonalText(text: string | null): string | null;
export function maskPersonalText(text: string | null): string | null {
  if (text === null || text === '') return text;
  return text.replace(PERSONAL, (m: string, uuid?: string, email?: string, id?: string, mobile?: string) => {
    if (uuid) return m;
    if (email) {
      const at = m.indexOf('@');
      return `${m.slice(0, 1)}***${m.slice(at)}`;
    }
    if (id) return `${m.slice(0, 4)}${'*'.repeat(10)}${m.slice(-4)}`;
    if (mobile) return maskMobile(m);
    return maskDigits(m.replace(/\D/g, '')); // landline
  });
}

/**
 * What `GET /tickets?q=` matches (`tickets.search_text`): the title, description and address with their personal data
 * masked, so a search can never probe the digits an answer hides. Written by the filing.
 */
export function searchText(title: string, description: string, address: string | null): string {
  return maskPersonalText(`${title} ${description} ${address ?? ''}`);
}
