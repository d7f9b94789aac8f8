import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { load } from 'js-yaml';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Open311 from 'open311';
import { SaxesParser } from 'saxes';

/**
 * Independent checks of Open311 answers: JSON against schemas built from the official GeoReport v2
 * description (test/fixtures/open311/georeport_v2-1.yaml, kept in the repository so that the suite runs on a
 * clean clone): each path's own `200` response schema, its definitions made strict (no properties they do
 * not define); XML through fast-xml-parser's validator and parser with element names checked against the
 * same definitions. Plus a promise wrapper over the third-party `open311` client.
 */
export const SPEC_PATH = join(__dirname, '../fixtures/open311/georeport_v2-1.yaml');

interface SwaggerDefinition { required?: string[]; properties: Record<string, Record<string, unknown>> }
interface SwaggerOperation { responses: Record<string, { schema?: Record<string, unknown> }> }
interface GeoReportSpec {
  definitions: Record<string, SwaggerDefinition>;
  paths: Record<string, Record<string, SwaggerOperation>>;
}

export function loadGeoReportSpec(): GeoReportSpec {
  return load(readFileSync(SPEC_PATH, 'utf8')) as GeoReportSpec;
}

const spec = loadGeoReportSpec();

/** Swagger 2.0 definitions → JSON Schema objects that refuse properties the description does not define. */
function strict(def: unknown): unknown {
  if (Array.isArray(def)) return def.map(strict);
  if (def === null || typeof def !== 'object') return def;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(def as Record<string, unknown>)) {
    if (k === 'example' || k === 'examples') continue;
    out[k] = k === 'properties' ? Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([p, s]) => [p, strict(s)])) : strict(v);
  }
  if (out.properties) {
    out.type = 'object';
    out.additionalProperties = false;
  }
  return out;
}

const ajv = new Ajv({ allErrors: true, strict: true });
addFormats(ajv);
// Formats the description uses that JSON Schema does not define.
ajv.addFormat('uid', /^.+$/u);
ajv.addFormat('uint', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= 0 });
ajv.addFormat('double', { type: 'number', validate: (n: number) => Number.isFinite(n) });
ajv.addSchema({ $id: 'georeport', definitions: strict(spec.definitions) as Record<string, unknown> });

/** A schema of the description with its local references (`#/definitions/X`) pointed at the registered copy. */
function relocate(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(relocate);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v as Record<string, unknown>)
    .map(([k, x]) => [k, k === '$ref' && typeof x === 'string' && x.startsWith('#/') ? `georeport${x}` : relocate(x)]));
}

/** The `200` response schema the description gives for one path and method (throws when it gives none). */
export function responseSchema(path: string, method: 'get' | 'post'): Record<string, unknown> {
  const schema = spec.paths[path]?.[method]?.responses['200']?.schema;
  if (!schema) throw new Error(`the description has no 200 schema for ${method.toUpperCase()} ${path}`);
  return relocate(schema) as Record<string, unknown>;
}

/**
 * Schemas per document. GeoReport documents are the `200` schemas of their own path in the description:
 * `service_requests` is GET /requests (also used for our /requests/{id}, which the description does not
 * define and the wiki answers as a list of one), `request` is GET /request/{service_request_id} (one Request
 * object). Discovery and errors follow wiki.open311.org (the description does not define them).
 */
export const SCHEMAS: Record<string, ValidateFunction> = {
  services: ajv.compile(responseSchema('/services.{response_format}', 'get')),
  service_definition: ajv.compile(responseSchema('/services/{service_code}.{response_format}', 'get')),
  service_requests: ajv.compile(responseSchema('/requests.{response_format}', 'get')),
  request: ajv.compile(responseSchema('/request/{service_request_id}.{response_format}', 'get')),
  // A filing answers at least one entry.
  post_response: ajv.compile({ allOf: [responseSchema('/requests.{response_format}', 'post'), { type: 'array', minItems: 1 }] }),
  errors: ajv.compile({
    type: 'array', minItems: 1,
    items: { type: 'object', required: ['code', 'description'], additionalProperties: false, properties: { code: { type: 'integer' }, description: { type: 'string', minLength: 1 } } },
  }),
  discovery: ajv.compile({
    type: 'object', required: ['changeset', 'contact', 'endpoints'], additionalProperties: false,
    properties: {
      changeset: { type: 'string', format: 'date-time' }, contact: { type: 'string' }, key_service: { type: 'string' },
      endpoints: {
        type: 'array', minItems: 1,
        items: {
          type: 'object', required: ['specification', 'url', 'type', 'formats'], additionalProperties: false,
          properties: {
            specification: { type: 'string', format: 'uri' }, url: { type: 'string', format: 'uri' }, changeset: { type: 'string', format: 'date-time' },
            type: { enum: ['production', 'test'] }, formats: { type: 'array', items: { enum: ['text/xml', 'application/json'] } },
          },
        },
      },
    },
  }),
};

/** Validates a JSON document; throws with ajv's errors so a failing test says what is wrong. */
export function assertJson(kind: keyof typeof SCHEMAS, doc: unknown): void {
  const validate = SCHEMAS[kind]!;
  if (!validate(doc)) throw new Error(`${kind} does not match the GeoReport v2 description: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(doc).slice(0, 800)}`);
}

const defProps = (name: string) => Object.keys(spec.definitions[name]!.properties);
const defRequired = (name: string) => spec.definitions[name]!.required ?? [];

/** For each XML document: root element, member element, the definition members follow. */
const XML_SHAPES: Record<string, { root: string; member?: string; definition?: string; fields?: string[] }> = {
  services: { root: 'services', member: 'service', definition: 'Service' },
  service_requests: { root: 'service_requests', member: 'request', definition: 'Request' },
  // GET /request/{id}: one Request, root <request> as in the description's example.
  request: { root: 'request', definition: 'Request' },
  post_response: { root: 'service_requests', member: 'request', definition: 'RequestResponse' },
  errors: { root: 'errors', member: 'error', fields: ['code', 'description'] },
  service_definition: { root: 'service_definition' },
  discovery: { root: 'discovery' },
};

const LISTS = new Set(['services.service', 'service_requests.request', 'errors.error', 'attributes.attribute', 'values.value', 'endpoints.endpoint', 'formats.format']);
const parser = new XMLParser({
  ignoreAttributes: true, parseTagValue: false, ignoreDeclaration: true,
  isArray: (_name, jpath) => LISTS.has(String(jpath).split('.').slice(-2).join('.')),
});

/** Every leaf element as `path=text` (trimmed), sorted, read by saxes; throws on anything not well-formed. */
function saxesLeaves(xml: string): string[] {
  const sax = new SaxesParser();
  const stack: Array<{ name: string; text: string; children: number }> = [];
  const leaves: string[] = [];
  sax.on('opentag', (tag) => {
    if (stack.length > 0) stack[stack.length - 1]!.children += 1;
    stack.push({ name: tag.name, text: '', children: 0 });
  });
  sax.on('text', (text) => {
    if (stack.length > 0) stack[stack.length - 1]!.text += text;
  });
  sax.on('closetag', () => {
    const path = stack.map((e) => e.name).join('/');
    const top = stack.pop()!;
    if (top.children === 0) leaves.push(`${path}=${top.text.trim()}`);
  });
  sax.write(xml).close();
  return leaves.sort();
}

/** The same leaves from fast-xml-parser's object (lists are repeated elements). */
function objectLeaves(v: unknown, path: string, out: string[]): void {
  if (Array.isArray(v)) {
    for (const x of v) objectLeaves(x, path, out);
  } else if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) objectLeaves(x, path === '' ? k : `${path}/${k}`, out);
  } else {
    out.push(`${path}=${String(v).trim()}`);
  }
}

function checkNames(where: string, obj: Record<string, unknown>, allowed: string[], required: string[]): void {
  for (const k of Object.keys(obj)) if (!allowed.includes(k)) throw new Error(`${where}: element <${k}> is not in the description`);
  for (const k of required) if (!(k in obj)) throw new Error(`${where}: required element <${k}> is missing`);
}

/**
 * Validates XML text with fast-xml-parser, parses it, and checks root, member and field element names
 * (and required ones) against the description. Returns the members (or the root object) as text values.
 */
export function assertXml(kind: keyof typeof XML_SHAPES, xml: string): any {
  if (!xml.startsWith('<?xml version="1.0" encoding="utf-8"?>')) throw new Error(`no XML declaration: ${xml.slice(0, 60)}`);
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new Error(`invalid XML (${valid.err.code} at line ${valid.err.line}): ${valid.err.msg}`);
  const shape = XML_SHAPES[kind]!;
  const doc = parser.parse(xml) as Record<string, any>;
  // A second, independent parser (saxes: strict XML 1.0 well-formedness, entities, names) must read the same
  // elements and texts as fast-xml-parser, the library that also builds our XML — so a builder defect that its
  // own parser would mirror (unescaped text, say) still fails here.
  const strict = saxesLeaves(xml);
  const loose: string[] = [];
  objectLeaves(doc, '', loose);
  loose.sort();
  if (JSON.stringify(strict) !== JSON.stringify(loose)) {
    throw new Error(`saxes and fast-xml-parser read different documents:\n${strict.join('\n')}\n---\n${loose.join('\n')}`);
  }
  const roots = Object.keys(doc);
  if (roots.length !== 1 || roots[0] !== shape.root) throw new Error(`root element should be <${shape.root}>, is ${roots.join(', ')}`);
  const root = doc[shape.root];
  if (shape.member) {
    const container = root === '' ? {} : (root as Record<string, unknown>);
    checkNames(`<${shape.root}>`, container, [shape.member], []);
    const members = (container[shape.member] ?? []) as Array<Record<string, unknown>>;
    const allowed = shape.definition ? defProps(shape.definition) : shape.fields!;
    const required = shape.definition ? defRequired(shape.definition) : shape.fields!;
    members.forEach((m, i) => checkNames(`<${shape.member}> ${i}`, m, allowed, required));
    return members;
  }
  if (shape.definition) {
    checkNames(`<${shape.root}>`, root, defProps(shape.definition), defRequired(shape.definition));
    return root;
  }
  if (kind === 'service_definition') {
    checkNames('<service_definition>', root, defProps('ServiceDefinition'), defRequired('ServiceDefinition'));
    const attrs = ((root.attributes === '' ? {} : root.attributes) as Record<string, unknown>);
    checkNames('<attributes>', attrs, ['attribute'], []);
    for (const a of (attrs.attribute ?? []) as Array<Record<string, any>>) {
      checkNames(`<attribute> ${a.code}`, a, defProps('ServiceAttribute'), defRequired('ServiceAttribute'));
      if (a.values !== undefined) {
        checkNames('<values>', a.values, ['value'], []);
        for (const v of a.values.value as Array<Record<string, unknown>>) checkNames('<value>', v, defProps('AttributeValue'), defRequired('AttributeValue'));
      }
    }
    return root;
  }
  checkNames('<discovery>', root, ['changeset', 'contact', 'key_service', 'endpoints'], ['changeset', 'contact', 'endpoints']);
  for (const e of root.endpoints.endpoint as Array<Record<string, any>>) {
    checkNames('<endpoint>', e, ['specification', 'url', 'changeset', 'type', 'formats'], ['specification', 'url', 'type', 'formats']);
    checkNames('<formats>', e.formats, ['format'], ['format']);
  }
  return root;
}

/** The JSON document with every scalar as text, as XML carries it (for comparing the two formats). */
export function asText(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(asText);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, asText(x)]));
  return String(v);
}

/** The client turns request dates into Date objects; back to ISO 8601 text for schema checks. */
export function undate(v: unknown): unknown {
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(undate);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, undate(x)]));
  return v;
}

/** The third-party client, promisified. Its errors (non-200 answers) reject with the client's message. */
export class Open311Client {
  private readonly c: Open311;
  constructor(options: { endpoint: string; apiKey?: string; jurisdiction?: string; format?: 'json' | 'xml'; discovery?: string }) {
    this.c = new Open311(options);
  }
  private call<T>(fn: (cb: (err: unknown, data: any) => void) => void): Promise<T> {
    return new Promise((resolve, reject) => fn((err, data) => (err ? reject(new Error(`open311 client: ${String(data)}`)) : resolve(data as T))));
  }
  discovery(): Promise<any> { return this.call((cb) => this.c.serviceDiscovery({}, cb)); }
  services(): Promise<any> { return this.call((cb) => this.c.serviceList(cb)); }
  definition(code: string): Promise<any> { return this.call((cb) => this.c.serviceDefinition(code, cb)); }
  submit(data: Record<string, unknown>): Promise<any> { return this.call((cb) => this.c.submitRequest(data, cb)); }
  requests(params: Record<string, unknown> = {}): Promise<any> { return this.call((cb) => this.c.serviceRequests(params, cb)); }
  request(id: string): Promise<any> { return this.call((cb) => this.c.serviceRequests(id, {}, cb)); }
}
