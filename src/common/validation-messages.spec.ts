import { BadRequestException, HttpException, MethodNotAllowedException, NotFoundException, PayloadTooLargeException, UnsupportedMediaTypeException } from '@nestjs/common';
import { plainToInstance, Type } from 'class-transformer';
import { getMetadataStorage, IsString, MaxLength, validate, ValidateNested, type MetadataStorage, type ValidationError } from 'class-validator';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { CreateGridNodeRequest } from '../modules/org/dto/org.request.dto';
import { toAppException } from './problem.filter';
import { CONSTRAINT_MESSAGES, constraintName, constraintText, interpolate, reportsErrors, validationProblems } from './validation-messages';

type ValidationMetadata = ReturnType<MetadataStorage['getTargetValidationMetadatas']>[number];

const CHINESE = /[\u3400-\u9fff]/;
const NON_ASCII = /[^\x00-\x7f]/;

const SRC = join(__dirname, '..');

/** Every source file (not a test) that declares class-validator decorators: the DTOs, and a few response classes. */
function validatedSourceFiles(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return validatedSourceFiles(path);
    if (!entry.name.endsWith('.ts') || entry.name.endsWith('.spec.ts') || entry.name.endsWith('.d.ts')) return [];
    const text = readFileSync(path, 'utf8');
    const imported = /import\s*\{([^}]*)\}\s*from\s*'class-validator'/.exec(text)?.[1] ?? '';
    const decorators = imported.split(',').map((name) => name.trim()).filter((name) => /^[A-Z]/.test(name));
    return decorators.some((name) => text.includes(`@${name}(`)) ? [path] : [];
  });
}

describe('validation messages 校验提示', () => {
  describe('every constraint a DTO uses has an English and a Chinese message', () => {
    const files = validatedSourceFiles();
    // Loading the modules runs their decorators, which register in class-validator's metadata storage.
    for (const file of files) require(file);
    const storage = getMetadataStorage();
    const byTarget = (storage as unknown as { validationMetadatas?: unknown }).validationMetadatas;

    it('finds the DTO modules and their metadata', () => {
      expect(files.map((f) => relative(SRC, f))).toEqual(expect.arrayContaining([
        'modules/org/dto/org.request.dto.ts', 'modules/tickets/dto/ticket.request.dto.ts', 'modules/catalogue/dto/catalogue.request.dto.ts',
      ]));
      // class-validator keeps its metadata in a private Map by target; if that ever changes, this test must be rewritten.
      expect(byTarget).toBeInstanceOf(Map);
      expect((byTarget as Map<unknown, unknown>).size).toBeGreaterThan(20);
    });

    it('has a table entry for each registered constraint, rendering with the DTO\'s own arguments', () => {
      const missing: string[] = [];
      const unrendered: string[] = [];
      const seen = new Set<string>();
      for (const [target, metas] of byTarget as Map<unknown, ValidationMetadata[]>) {
        const className = typeof target === 'function' ? target.name : String(target);
        for (const meta of metas.filter(reportsErrors)) {
          const name = constraintName(meta, storage);
          seen.add(name);
          const where = `${className}.${meta.propertyName}: ${name}`;
          const render = CONSTRAINT_MESSAGES[name];
          if (!render) {
            missing.push(where);
            continue;
          }
          const text = render({ field: meta.propertyName, args: meta.constraints ?? [], each: meta.each });
          if (!text || !CHINESE.test(text.zh) || !text.en || /\{(subject|field)\}/.test(text.en + text.zh)) unrendered.push(where);
        }
      }
      expect(missing).toEqual([]);
      expect(unrendered).toEqual([]);
      // A sanity check that the walk saw the DTOs' decorators.
      expect([...seen]).toEqual(expect.arrayContaining(['isUuid', 'isLength', 'matches', 'isIn', 'isInt', 'min', 'max', 'arrayMaxSize', 'nestedValidation']));
    });

    it('also covers the constraints the pipe itself reports and the documented ones', () => {
      for (const name of ['whitelistValidation', 'nestedValidation', 'unknownValue', 'isObject', 'isDefined', 'isNotEmpty', 'isEmail', 'isIso8601', 'isDateString',
        'isLatitude', 'isLongitude', 'isBoolean', 'isNumber', 'isString', 'isEnum', 'isArray', 'arrayMinSize', 'minLength', 'maxLength']) {
        expect([name, typeof CONSTRAINT_MESSAGES[name]]).toEqual([name, 'function']);
      }
    });
  });

  describe('interpolation', () => {
    it('fills the field and the decorator arguments', () => {
      expect(constraintText('maxLength', { field: 'name', args: [100] })).toEqual({ en: 'name must be at most 100 characters long', zh: 'name 最多 100 个字符' });
      expect(constraintText('min', { field: 'limit', args: [1] })).toEqual({ en: 'limit must not be less than 1', zh: 'limit 不能小于 1' });
      expect(constraintText('arrayMaxSize', { field: 'ticketIds', args: [1000] }).zh).toBe('ticketIds 最多包含 1000 项');
      expect(constraintText('isIn', { field: 'type', args: [['bureau', 'utility']] })).toEqual({ en: 'type must be one of: bureau, utility', zh: 'type 须为以下值之一：bureau、utility' });
      expect(constraintText('isEnum', { field: 'role', args: [{ A: 'admin' }, ['admin', 'handler']] }).zh).toBe('role 须为以下值之一：admin、handler');
      expect(constraintText('isNumber', { field: 'amount', args: [{ maxDecimalPlaces: 2 }] })).toEqual({ en: 'amount must be a number with at most 2 decimal places', zh: 'amount 须为数字，最多 2 位小数' });
      expect(constraintText('arrayMinSize', { field: 'ticketIds', args: [1] }).en).toBe('ticketIds must contain at least 1 item');
      expect(constraintText('isNumber', { field: 'lat', args: [{}] }).zh).toBe('lat 须为数字');
    });

    it('says what text must hold (hasLettersOrDigits) and that lat and lng go together (latLngTogether)', () => {
    expect(constraintText('hasLettersOrDigits', { field: 'title', args: [1] })).toEqual({
      en: 'title must contain a letter or digit (spaces, invisible characters and punctuation alone are not text)', zh: 'title 须包含文字或数字（不能只有空格、不可见字符或标点）',
    });
    expect(constraintText('hasLettersOrDigits', { field: 'reason', args: [2] })).toEqual({
      en: 'reason must contain at least 2 letters or digits (spaces, invisible characters and punctuation do not count)', zh: 'reason 须包含至少 2 个文字或数字（空格、不可见字符和标点不计）',
    });
    expect(constraintText('latLngTogether', { field: 'lng', args: ['lat'] })).toEqual({ en: 'lng is missing: lat and lng go together', zh: '缺少 lng：经纬度须同时提供' });
  });

  it('says which bound of @Length was broken when the value is known', () => {
      expect(constraintText('isLength', { field: 'name', args: [1, 100], value: 'x'.repeat(101) }).zh).toBe('name 最多 100 个字符');
      expect(constraintText('isLength', { field: 'name', args: [1, 100], value: '' })).toEqual({ en: 'name must be at least 1 character long', zh: 'name 至少 1 个字符' });
      expect(constraintText('isLength', { field: 'name', args: [1, 100] })).toEqual({ en: 'name must be 1 to 100 characters long', zh: 'name 长度须为 1–100 个字符' });
      expect(constraintText('isLength', { field: 'note', args: [0, 500] }).zh).toBe('note 最多 500 个字符');
    });

    it('speaks of each item for { each: true }', () => {
      expect(constraintText('isUuid', { field: 'coUnitIds', each: true })).toEqual({ en: 'each item of coUnitIds must be a UUID', zh: 'coUnitIds 的每一项须为 UUID' });
    });

    it('names unknown properties and shows patterns (control characters in words)', () => {
      expect(constraintText('whitelistValidation', { field: 'isAdmin' })).toEqual({ en: 'property isAdmin is not allowed', zh: '属性 isAdmin 不允许' });
      expect(constraintText('matches', { field: 'code', args: [/^[0-9A-Za-z_]{1,40}$/] }).zh).toBe('code 格式不正确（须匹配 /^[0-9A-Za-z_]{1,40}$/）');
      expect(constraintText('matches', { field: 'name', args: [/^[^\p{Cc}]+$/u] }).zh).toBe('name 不能包含控制字符');
    });

    it('leaves unknown tokens alone and reports missing arguments', () => {
      const c = { field: 'x', args: [3] };
      expect(interpolate('{subject} {0} {other}', c, 'zh')).toBe('x 3 {other}');
      expect(interpolate('{1}', c, 'en')).toBeUndefined();
    });

    it('says less, in both languages, when the decorator\'s arguments are unknown', () => {
      expect(constraintText('maxLength', { field: 'name' }, 'name must be shorter than or equal to 100 characters')).toEqual({ en: 'name is too long', zh: 'name 过长' });
      expect(constraintText('isLength', { field: 'name' }).zh).toBe('name 长度不符合要求');
      expect(constraintText('matches', { field: 'code' }).zh).toBe('code 格式不正确');
      expect(constraintText('isIn', { field: 'type' }).zh).toBe('type 不是允许的取值');
    });

    it('falls back to class-validator\'s English and a generic Chinese text for a constraint missing from the table', () => {
      expect(constraintText('isPostalCode', { field: 'zip' }, 'zip must be a postal code')).toEqual({ en: 'zip must be a postal code', zh: 'zip 的值不符合要求' });
      expect(constraintText('isPostalCode', { field: 'zip' })).toEqual({ en: 'zip is invalid', zh: 'zip 的值不符合要求' });
    });
  });

  describe('validationProblems', () => {
    class Item {
      @IsString() @MaxLength(5) name!: string;
    }
    class Holder {
      @ValidateNested({ each: true }) @Type(() => Item) items!: Item[];
    }
    const check = async <T extends object>(cls: new () => T, body: unknown) => validationProblems(await validate(plainToInstance(cls, body) as object, {
      whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true, validationError: { target: true, value: false },
    }));

    it('gives each failed constraint of a real DTO with its arguments, in both languages', async () => {
      const problems = await check(CreateGridNodeRequest, {
        parentId: 'not-a-uuid', code: '210902001003', name: 'x'.repeat(101), level: 'community', lat: 'north', isAdmin: true,
      });
      expect(problems).toEqual(expect.arrayContaining([
        { field: 'isAdmin', constraint: 'whitelistValidation', en: 'property isAdmin is not allowed', zh: '属性 isAdmin 不允许', message: 'property isAdmin is not allowed' },
        { field: 'parentId', constraint: 'isUuid', en: 'parentId must be a UUID', zh: 'parentId 须为 UUID', message: 'parentId must be a UUID' },
        { field: 'name', constraint: 'isLength', en: 'name must be at most 100 characters long', zh: 'name 最多 100 个字符', message: 'name must be at most 100 characters long' },
        expect.objectContaining({ field: 'lat', constraint: 'isLatitude', zh: 'lat 须为 -90 到 90 之间的纬度' }),
      ]));
      for (const p of problems) {
        expect(NON_ASCII.test(p.zh!)).toBe(true);
        expect(p.en).toMatch(/^[\x20-\x7e]+$/);
      }
    });

    it('names nested fields by dotted path', async () => {
      const problems = await check(Holder, { items: [{ name: 'ok' }, { name: 'too long', extra: 1 }] });
      expect(problems).toEqual(expect.arrayContaining([
        expect.objectContaining({ field: 'items.1.name', constraint: 'maxLength', en: 'items.1.name must be at most 5 characters long', zh: 'items.1.name 最多 5 个字符' }),
        expect.objectContaining({ field: 'items.1.extra', constraint: 'whitelistValidation', zh: '属性 items.1.extra 不允许' }),
      ]));
      expect(problems.map((p) => p.field).sort()).toEqual(['items.1.extra', 'items.1.name']);
      expect((await check(Holder, { items: ['x'] }))[0]).toEqual(expect.objectContaining({ field: 'items.0', constraint: 'nestedValidation', zh: 'items.0 须为对象或数组' }));
    });

    it('handles the errors the pipe makes itself (no target)', () => {
      const made = (errors: unknown[]) => validationProblems(errors as ValidationError[]);
      expect(made([{ property: 'body', constraints: { isObject: 'Validation failed (object is expected)' }, children: [] }]))
        .toEqual([{ field: 'body', constraint: 'isObject', en: 'body must be an object', zh: 'body 须为对象', message: 'body must be an object' }]);
      expect(made([{ property: 'file', children: [] }])).toEqual([]);
    });
  });
});

describe('framework errors get Chinese of their own (problem.filter) 框架错误的中文', () => {
  const zhOf = (err: unknown) => {
    const p = toAppException(err);
    return { status: p.status, code: p.code, en: p.detail?.en, zh: p.detail?.zh, titleZh: p.text.zh };
  };

  it('route not found', () => {
    expect(zhOf(new NotFoundException('Cannot GET /api/v1/nowhere?token=x'))).toEqual({
      status: 404, code: 'NOT_FOUND', en: 'No such route: GET /api/v1/nowhere', zh: '接口不存在：GET /api/v1/nowhere', titleZh: '未找到',
    });
  });

  it('parse pipes', () => {
    expect(zhOf(new BadRequestException('Validation failed (uuid is expected)'))).toEqual(expect.objectContaining({ status: 400, code: 'VALIDATION_FAILED', zh: '参数须为 UUID' }));
    expect(zhOf(new BadRequestException('Validation failed (uuid v 4 is expected)')).zh).toBe('参数须为 UUID');
    expect(zhOf(new BadRequestException('Validation failed (enum string is expected)')).zh).toBe('参数不是允许的取值');
    expect(zhOf(new BadRequestException('Validation failed (numeric string is expected)')).zh).toBe('参数须为数字');
  });

  it('status-only exceptions have no detail; other messages get a Chinese text, never the English one', () => {
    expect(zhOf(new PayloadTooLargeException())).toEqual({ status: 413, code: 'BODY_TOO_LARGE', en: undefined, zh: undefined, titleZh: '请求体过大' });
    expect(zhOf(new UnsupportedMediaTypeException())).toEqual(expect.objectContaining({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', zh: undefined, titleZh: '不支持的内容类型' }));
    expect(zhOf(new MethodNotAllowedException())).toEqual(expect.objectContaining({ status: 405, code: 'METHOD_NOT_ALLOWED', titleZh: '不允许的请求方法' }));
    const custom = zhOf(new HttpException('Payload exceeds the attachment limit', 413));
    expect(custom).toEqual(expect.objectContaining({ en: 'Payload exceeds the attachment limit', zh: '请求体过大' }));
  });

  it('Fastify body-parser errors', () => {
    const fst = (code: string, statusCode: number, message: string) => Object.assign(new Error(message), { code, statusCode });
    expect(zhOf(fst('FST_ERR_CTP_INVALID_JSON_BODY', 400, "Body is not valid JSON but content-type is set to 'application/json'")))
      .toEqual(expect.objectContaining({ status: 400, code: 'INVALID_JSON', zh: '请求体不是有效的 JSON', titleZh: '请求体不是有效的 JSON' }));
    expect(zhOf(fst('FST_ERR_CTP_EMPTY_JSON_BODY', 400, 'Body cannot be empty')).zh).toMatch(CHINESE);
    expect(zhOf(fst('FST_ERR_CTP_BODY_TOO_LARGE', 413, 'Request body is too large'))).toEqual(expect.objectContaining({ status: 413, code: 'BODY_TOO_LARGE' }));
    expect(zhOf(fst('FST_ERR_CTP_INVALID_MEDIA_TYPE', 415, 'Unsupported Media Type'))).toEqual(expect.objectContaining({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' }));
    expect(zhOf(fst('FST_ERR_BAD_URL', 400, "'%' is not a valid url component")).zh).toBe('请求地址包含无效的字符');
    for (const [code, status] of [['FST_ERR_SOMETHING_NEW', 400], ['FST_ERR_MAX_PARAM_LENGTH', 414]] as const) {
      const r = zhOf(fst(code, status, 'english text'));
      expect([code, r.en, CHINESE.test(r.zh ?? '')]).toEqual([code, 'english text', true]);
    }
  });
});
