import { maskIdNumber, maskName, maskParty, maskPersonalValue, maskPhone } from './personal-data';

describe('personal data masking', () => {
  it('masks phones as 138****1234', () => {
    expect(maskPhone('13812341234')).toBe('138****1234');
    expect(maskPhone('0418-1234567')).toBe('041****4567');
    expect(maskPhone('12345')).toBe('1***5');
    expect(maskPhone('8765432')).toBe('****5432'); // 7 digits: never 3 + 4 of them
    expect(maskPhone('23456789')).toBe('****6789');
    expect(maskPhone('+86 13812341234')).toBe('+86****1234');
  });
  it('keeps only the family name', () => {
    expect(maskName('张三')).toBe('张*');
    expect(maskName('欧阳娜娜')).toBe('欧***');
    expect(maskName('李')).toBe('*');
  });
  it('masks ID numbers keeping region and last four', () => {
    expect(maskIdNumber('210902198801011234')).toBe('210902********1234');
  });
  it('masks parties and lists', () => {
    expect(maskParty({ role: 'applicant', name: '王五', phone: '13900001111', idNumber: '21090219900101123X' }))
      .toEqual({ role: 'applicant', name: '王*', phone: '139****1111', idNumber: '210902********123X' });
    expect(maskPersonalValue([{ role: 'respondent', name: '赵六' }])).toEqual([{ role: 'respondent', name: '赵*' }]);
  });
});
