/** Architecture rules (STYLE.md): pure libs import no framework; no cycles; modules meet through exports. */
module.exports = {
  forbidden: [
    {
      name: 'pure-libs-import-no-framework',
      comment: 'libs/ hold plain TypeScript rules: no NestJS, TypeORM, BullMQ, database or Node I/O.',
      severity: 'error',
      from: { path: '^libs/' },
      to: { path: '(^node_modules/(@nestjs|typeorm|bullmq|ioredis|pg|fastify|class-validator|class-transformer))|^src/' },
    },
    {
      name: 'no-cycles',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-reaching-into-module-internals',
      comment: 'A module uses another module only through its services and exported types, never its repository.',
      severity: 'error',
      from: { path: '^src/modules/([^/]+)/' },
      to: { path: '^src/modules/([^/]+)/.+\\.repository\\.ts$', pathNot: '^src/modules/$1/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(\\.spec\\.ts$)|(\\.e2e-spec\\.ts$)' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    moduleSystems: ['cjs', 'es6'],
  },
};
