/**
 * A media link we may store and show (a ticket's `mediaUrls`, Open311's `media_url`): absolute http(s), a host
 * name, no credentials (`user:pass@`), printable ASCII only (clients percent-encode the rest), at most 2000
 * characters. We never fetch it, so it cannot make the server reach into its own network.
 */
export function isMediaUrl(raw: string): boolean {
  if (raw.length > 2000 || !/^https?:\/\/[\x21-\x7e]+$/i.test(raw)) return false;
  try {
    const url = new URL(raw);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '' && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}
