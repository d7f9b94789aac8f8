// Jest on Node 20 cannot require() ES modules, and NestJS 12 and several of its dependencies ship only
// ESM. This transformer hands files that use import/export syntax to swc (down-compiling them to
// CommonJS) and passes every other file through untouched, so node_modules need no hand-kept allow-list.
const { createTransformer } = require('@swc/jest');

const swc = createTransformer({
  jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' },
  module: { type: 'commonjs' },
});
const ESM = /^\s*(import\s*[\w{*'"]|export\s+[\w{*]|export\s+default)|\bimport\.meta\b/m;

module.exports = {
  canInstrument: false,
  getCacheKey(src, filename, options) {
    return (ESM.test(src) ? 'esm:' : 'cjs:') + swc.getCacheKey(src, filename, options);
  },
  process(src, filename, options) {
    if (!ESM.test(src)) return { code: src };
    return swc.process(src, filename, options);
  },
};
