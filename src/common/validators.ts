import { ValidateBy, ValidateIf, buildMessage, type ValidationOptions } from 'class-validator';
import { isMediaUrl } from './media-url';

/**
 * Validators of our own, for rules class-validator has no decorator for. Their constraint names
 * (`hasLettersOrDigits`, `latLngTogether`) have bilingual messages in validation-messages.ts.
 */

/** A letter or a digit of any script (CJK characters are letters, \p{Lo}). */
const LETTER_OR_DIGIT = /[\p{L}\p{N}]/gu;

/**
 * How many letters and digits a text holds: what is left once whitespace, zero-width and other format
 * characters (\p{Cf}), punctuation and symbols are taken out. `"  \u200b "` and `"...."` hold none.
 */
export function lettersOrDigits(text: string): number {
  return text.match(LETTER_OR_DIGIT)?.length ?? 0;
}

export const HAS_LETTERS_OR_DIGITS = 'hasLettersOrDigits';

/**
 * Human text that says something: at least `min` letters or digits (\p{L}\p{N}). Blanks, zero-width
 * characters, dots and other punctuation or symbols alone are refused.
 */
export function HasLettersOrDigits(min = 1, validationOptions?: ValidationOptions): PropertyDecorator {
  return ValidateBy({
    name: HAS_LETTERS_OR_DIGITS,
    constraints: [min],
    validator: {
      validate: (value: unknown) => typeof value === 'string' && lettersOrDigits(value) >= min,
      defaultMessage: buildMessage((each) => `${each}$property must contain at least $constraint1 letter(s) or digit(s)`, validationOptions),
    },
  }, validationOptions);
}

export const LAT_LNG_TOGETHER = 'latLngTogether';

/** For the validators of one half of a point: they judge a value that was given, never a missing one. */
export const IF_GIVEN: ValidationOptions = { validateIf: (_object: unknown, value: unknown) => value !== undefined && value !== null };

/**
 * One half of a point (`lat` or `lng`; `partner` names the other half): both are given or neither (null counts as
 * not given). Stands in for `@IsOptional()`: the property is validated when either half is given, and a missing
 * half is reported under its own name (`latLngTogether`, "lat and lng go together / 经纬度须同时提供"). The value
 * checks on the property take `IF_GIVEN`, so a missing half gets this one error only.
 */
export function LatLngTogether(partner: 'lat' | 'lng', validationOptions?: ValidationOptions): PropertyDecorator {
  return (target: object, property: string | symbol) => {
    const given = (o: Record<string | symbol, unknown>, key: string | symbol) => o[key] !== undefined && o[key] !== null;
    ValidateIf((o: Record<string | symbol, unknown>) => given(o, property) || given(o, partner))(target, property as string);
    ValidateBy({
      name: LAT_LNG_TOGETHER,
      constraints: [partner],
      validator: {
        validate: (value: unknown) => value !== undefined && value !== null,
        defaultMessage: buildMessage((each) => `${each}$property is missing: $property and $constraint1 go together`, validationOptions),
      },
    }, validationOptions)(target, property);
  };
}

export const IS_MEDIA_URL = 'isMediaUrl';

/** A media link (media-url.ts): absolute http(s), no credentials, printable ASCII, at most 2000 characters. */
export function IsMediaUrl(validationOptions?: ValidationOptions): PropertyDecorator {
  return ValidateBy({
    name: IS_MEDIA_URL,
    validator: {
      validate: (value: unknown) => typeof value === 'string' && isMediaUrl(value),
      defaultMessage: buildMessage((each) => `${each}$property must be an http or https URL without user name, password or personal data`, validationOptions),
    },
  }, validationOptions);
}
