import { maskPersonalText } from './personal-text';

describe('maskPersonalText: personal data typed into free text', () => {
  it('masks the audit\'s filing: mobile, ID number and e-mail, keeping the words', () => {
    expect(maskPersonalText('井盖丢了 联系我13812345678 身份证210902199001011234 邮箱a@b.cn'))
      .toBe('井盖丢了 联系我138****5678 身份证2109**********1234 邮箱a***@b.cn');
  });

  it('mobiles: with +86 / 0086 / 86, spaces or dashes, at the edges of the text', () => {
    expect(maskPersonalText('13812345678')).toBe('138****5678');
    expect(maskPersonalText('电话：+8613912345678。')).toBe('电话：+86139****5678。');
    expect(maskPersonalText('+86 139 1234 5678')).toBe('+86 139****5678');
    expect(maskPersonalText('0086-13912345678')).toBe('0086-139****5678');
    expect(maskPersonalText('8615912345678')).toBe('86159****5678');
    expect(maskPersonalText('138-1234-5678，或19912345678')).toBe('138****5678，或199****5678');
    expect(maskPersonalText('tel13812345678')).toBe('tel138****5678');
  });

  it('landlines: area code, optional dash or space, 7–8 digits', () => {
    expect(maskPersonalText('座机0418-1234567')).toBe('座机041****4567');
    expect(maskPersonalText('010 12345678')).toBe('010****5678');
    expect(maskPersonalText('(02112345678)')).toBe('(021****5678)');
  });

  it('ID numbers: 17 digits + digit or X, first 4 and last 4 kept', () => {
    expect(maskPersonalText('身份证号21090219900101123X号')).toBe('身份证号2109**********123X号');
    expect(maskPersonalText('ID 11010520001231001x')).toBe('ID 1101**********001x');
  });

  it('e-mail addresses, including numeric (QQ) ones', () => {
    expect(maskPersonalText('邮箱 zhang.san+x@mail.example.com.cn')).toBe('邮箱 z***@mail.example.com.cn');
    expect(maskPersonalText('13812345678@qq.com')).toBe('1***@qq.com');
  });

  it('leaves every other digit run alone: ticket numbers, dates, amounts, house numbers, ids, counts', () => {
    for (const text of [
      '见工单 FX-20261127-000123，合并',
      '2026-11-27 09:30 到场；20261127',
      '赔偿金额 12345678.50 元，押金 1500 元',
      '站前街道3号楼2单元501室，门牌 18-2-1101',
      '规则 3f1c2a9e-1d2b-4c3d-8e4f-138123456789 建议派往',
      '编号 1381234567（10 位）与 138123456789（12 位）不是手机号',
      '19 位数字 2109021990010112345 与非日期 210902199013011234 不是身份证号',
      '电话号码不全 0418-12345',
      '',
    ]) expect(maskPersonalText(text)).toBe(text);
  });

  it('keeps null and is idempotent on its own output', () => {
    expect(maskPersonalText(null)).toBeNull();
    const once = maskPersonalText('13812345678 a@b.cn 210902199001011234 0418-1234567');
    expect(maskPersonalText(once)).toBe(once);
    expect(once).not.toMatch(/13812345678|210902199001011234|1234567/);
  });
});
