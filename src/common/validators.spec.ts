import { plainToInstance } from 'class-transformer';
import { IsLatitude, IsLongitude, IsNumber, validate } from 'class-validator';
import { HasLettersOrDigits, IF_GIVEN, LatLngTogether, lettersOrDigits } from './validators';

class Text {
  @HasLettersOrDigits() title!: string;
  @HasLettersOrDigits(2) reason!: string;
}

class Point {
  @LatLngTogether('lng') @IsNumber({ allowNaN: false, allowInfinity: false }, IF_GIVEN) @IsLatitude(IF_GIVEN) lat?: number;
  @LatLngTogether('lat') @IsNumber({ allowNaN: false, allowInfinity: false }, IF_GIVEN) @IsLongitude(IF_GIVEN) lng?: number;
}

/** Failed constraints by property. */
async function failures<T extends object>(cls: new () => T, plain: object): Promise<Record<string, string[]>> {
  const errors = await validate(plainToInstance(cls, plain));
  return Object.fromEntries(errors.map((e) => [e.property, Object.keys(e.constraints ?? {})]));
}

describe('lettersOrDigits', () => {
  it('counts letters and digits of any script, nothing else', () => {
    expect(lettersOrDigits('核实')).toBe(2);
    expect(lettersOrDigits('test')).toBe(4);
    expect(lettersOrDigits('A1')).toBe(2);
    expect(lettersOrDigits('  \u200b\u200b ')).toBe(0);
    expect(lettersOrDigits('....')).toBe(0);
    expect(lettersOrDigits('\u3000\u200c\u200d\u2060\ufeff')).toBe(0);
    expect(lettersOrDigits('。，！？🙂-_')).toBe(0);
    expect(lettersOrDigits('\u200b核\u200b.')).toBe(1);
    expect(lettersOrDigits('٣ε')).toBe(2); // an Arabic-Indic digit, a Greek letter
  });
});

describe('@HasLettersOrDigits', () => {
  it('refuses blanks, zero-width characters and punctuation; accepts text with enough letters or digits', async () => {
    expect(await failures(Text, { title: '井', reason: '核实' })).toEqual({});
    expect(await failures(Text, { title: '\u200b井 ', reason: ' test ' })).toEqual({});
    for (const blank of ['', '    ', '\u200b\u200b', '....', '\u3000']) {
      expect(await failures(Text, { title: blank, reason: blank })).toEqual({ title: ['hasLettersOrDigits'], reason: ['hasLettersOrDigits'] });
    }
    expect(await failures(Text, { title: 'a', reason: 'a' })).toEqual({ reason: ['hasLettersOrDigits'] });
    expect(await failures(Text, { title: 42, reason: ['核实'] })).toEqual({ title: ['hasLettersOrDigits'], reason: ['hasLettersOrDigits'] });
  });
});

describe('@LatLngTogether', () => {
  it('takes both halves or neither', async () => {
    expect(await failures(Point, {})).toEqual({});
    expect(await failures(Point, { lat: null, lng: null })).toEqual({});
    expect(await failures(Point, { lat: 42.03, lng: 121.66 })).toEqual({});
  });
  it('reports only the missing half, with one error', async () => {
    expect(await failures(Point, { lat: 42.03 })).toEqual({ lng: ['latLngTogether'] });
    expect(await failures(Point, { lng: 121.66 })).toEqual({ lat: ['latLngTogether'] });
    expect(await failures(Point, { lat: 42.03, lng: null })).toEqual({ lng: ['latLngTogether'] });
  });
  it('refuses numbers as strings and values out of range', async () => {
    expect(await failures(Point, { lat: '42.03', lng: '121.66' })).toEqual({ lat: ['isNumber'], lng: ['isNumber'] });
    expect(await failures(Point, { lat: 91, lng: 121.66 })).toEqual({ lat: ['isLatitude'] });
    expect(await failures(Point, { lat: 'north', lng: 121.66 })).toEqual({ lat: ['isLatitude', 'isNumber'] });
    expect(await failures(Point, { lat: 'north' })).toEqual({ lat: ['isLatitude', 'isNumber'], lng: ['latLngTogether'] });
  });
});
