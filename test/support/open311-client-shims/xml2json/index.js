'use strict';
// xml2json's toJson(xml, { object }) on fast-xml-parser: elements become keys, text their values.
const { XMLParser, XMLValidator } = require('fast-xml-parser');

exports.toJson = function toJson(xml, options) {
  const valid = XMLValidator.validate(String(xml));
  if (valid !== true) throw new Error(`invalid XML: ${valid.err.msg}`);
  const obj = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', parseTagValue: false, ignoreDeclaration: true }).parse(String(xml));
  return options && options.object ? obj : JSON.stringify(obj);
};
