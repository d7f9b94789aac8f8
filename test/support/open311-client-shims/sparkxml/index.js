'use strict';
// Spark convention XML → JS, after sparkxml 0.1.4 (BSD-3-Clause, Code for America), on fast-xml-parser.
const { XMLParser, XMLValidator } = require('fast-xml-parser');

function elementName(node) {
  return Object.keys(node).find((k) => k !== ':@' && k !== '#text' && !k.startsWith('?'));
}

function parseValue(value) {
  const n = Number(value);
  if (!Number.isNaN(n)) return n;
  const lower = value.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  return value;
}

function convert(node, parseTypes) {
  const name = elementName(node);
  const children = node[name] || [];
  const elements = children.filter((c) => elementName(c) !== undefined);
  if (elements.length === 0) {
    if (children.length === 0) return null;
    const text = children.map((c) => (c['#text'] === undefined ? '' : String(c['#text']))).join('');
    return parseTypes && text !== '' ? parseValue(text) : text;
  }
  let isList = elements.length === 1;
  let result = isList ? [] : {};
  for (const el of elements) {
    const childName = elementName(el);
    if (!isList && Object.prototype.hasOwnProperty.call(result, childName)) {
      isList = true;
      result = Object.values(result);
    }
    const value = convert(el, parseTypes);
    if (isList) result.push(value);
    else result[childName] = value;
  }
  return result;
}

exports.parse = function parse(xmlString, options) {
  const opts = typeof options === 'boolean' ? { parseTypes: options } : options || { parseTypes: true };
  const parseTypes = 'parseTypes' in opts ? opts.parseTypes : true;
  const valid = XMLValidator.validate(String(xmlString));
  if (valid !== true) throw new Error(`invalid XML: ${valid.err.msg}`);
  const doc = new XMLParser({ preserveOrder: true, ignoreAttributes: true, parseTagValue: false, ignoreDeclaration: true, ignorePiTags: true }).parse(String(xmlString));
  const root = doc.find((n) => elementName(n) !== undefined);
  if (!root) throw new Error('XML has no root element');
  return convert(root, parseTypes);
};

exports.parseXml = function parseXml(xmlString, options) {
  return exports.parse(xmlString, options);
};
