import { isMediaUrl, mediaUrlLooksPersonal } from './media-url';

describe('media links 媒体链接', () => {
  it('takes absolute http(s) links in printable ASCII, without credentials', () => {
    for (const ok of ['http://city.gov.s3.amazonaws.com/requests/media/638344.jpg', 'https://cdn.example.org/a/%E4%BA%95%E7%9B%96.jpg?v=2#x']) {
      expect([ok, isMediaUrl(ok)]).toEqual([ok, true]);
    }
    for (const bad of ['javascript:alert(1)', 'file:///etc/passwd', 'ftp://example.org/a.jpg', 'https://user:pw@example.org/a.jpg', 'https://:pw@example.org/a.jpg',
      'https://exa mple.org/a.jpg', 'http://', '//example.org/a.jpg', 'https://例子.中国/照片.jpg', 'data:image/png;base64,AAAA', `https://example.org/${'a'.repeat(2000)}`]) {
      expect([bad, isMediaUrl(bad)]).toEqual([bad, false]);
    }
  });

  it('refuses a link that carries personal data: a mobile number, an e-mail, a resident ID number, also %-encoded', () => {
    for (const personal of [
      'https://app.example.org/u/13841815678/photo.jpg', 'https://app.example.org/p.jpg?owner=zhang%40example.cn',
      'https://app.example.org/id/21090219800101123X.jpg', 'https://app.example.org/p.jpg?m=%2B8613900001111x',
    ]) expect([personal, mediaUrlLooksPersonal(personal), isMediaUrl(personal)]).toEqual([personal, true, false]);
    // Ids and timestamps are not phone numbers; a malformed escape is judged as it is.
    for (const plain of [
      'http://city.gov.s3.amazonaws.com/requests/media/638344.jpg', 'https://cdn.example.org/2026/11/27/1764230400123.jpg',
      'https://cdn.example.org/a/%E4%BA%95%E7%9B%96.jpg', 'https://cdn.example.org/a/%E0%A4%A.jpg', 'https://cdn.example.org/12345678901.jpg',
    ]) expect([plain, mediaUrlLooksPersonal(plain)]).toEqual([plain, false]);
  });
});
