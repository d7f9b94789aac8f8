const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/;
const ID_NUMBER = /(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])/;
const MOBILE = /(?<![0-9])(?:86)?1[3-9][0-9]{9}(?![0-9])/;

/**
 * Whether a link carries what looks like personal data — an e-mail, a resident ID number, a mobile number (after
 * %-decoding). A link cannot be masked without breaking it, so such a link is refused at filing and, should one be
 * stored anyway, never published. Longer or shorter digit runs (ids, timestamps) are not taken for phone numbers.
 */
export function mediaUrlLooksPersonal(url: string): boolean {
  let text = url;
  try {
    text = decodeURIComponent(url);
  } catch {
    // a malformed escape: judge the raw text
  }
  return EMAIL.test(text) || ID_NUMBER.test(text) || MOBILE.test(text);
}

/**
 * A media link we may store and show (a ticket's `mediaUrls`, Open311's `media_url`): absolute http(s), a host
 * name, no credentials (`user:pass@`), no personal data, printable ASCII only (clients percent-encode the rest), at
 * most 2000 characters. We never fetch it, so it cannot make the server reach into its own network.
 */
export function isMediaUrl(raw: string): boolean {
  if (raw.length > 2000 || !/^https?:\/\/[\x21-\x7e]+$/i.test(raw) || mediaUrlLooksPersonal(raw)) return false;
  try {
    const url = new URL(raw);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '' && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}
