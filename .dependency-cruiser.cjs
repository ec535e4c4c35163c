// The import rules of ARCHITECTURE.md ("What may import what"), checked by `npm run lint`.
// A rule broken here is a rule broken in the document: change both or neither.

/** Files that exist only for tests: the test files, `src/testing/`, and the few helpers that sit
 * beside the feature they drive. `tsconfig.build.json` keeps the same files out of `dist/`. */
const TEST_ONLY = [
  '\\.test\\.ts$',
  '^src/testing/',
  '^src/client-apps/test-relying-party\\.ts$',
  '^src/cloud/test-images\\.ts$',
  '^src/devices/test-factories\\.ts$',
  '^src/deletion/(test-helpers|crash-scenario|spawned)\\.ts$',
  '^src/export/test-zip\\.ts$',
  '^src/portal/(browser|staff)\\.ts$',
];

/** Plumbing that every feature may use, repository included (ARCHITECTURE.md, "Folders"). */
const PLUMBING = ['http', 'db', 'crypto', 'jobs', 'messaging'];

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle: move the shared piece (often a type) down to a module both can import.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-foreign-repository',
      severity: 'error',
      comment:
        "A feature uses another feature's service or schemas, never its repository: the owner of a table " +
        'is the one place that queries it.',
      from: { path: '^src/([^/]+)/', pathNot: TEST_ONLY },
      to: {
        path: '^src/([^/]+)/repository\\.ts$',
        pathNot: ['^src/$1/', `^src/(${PLUMBING.join('|')})/`],
      },
    },
    // Which tables a repository's SQL names (e.g. that deletion/repository.ts queries only `erasures`)
    // is beyond an import graph: no-foreign-repository keeps the imports honest, ARCHITECTURE.md the rest.
    {
      name: 'plumbing-imports-no-feature',
      severity: 'error',
      comment: 'The plumbing sits under the features: a type both need moves down into it, never up.',
      from: { path: `^src/(${PLUMBING.join('|')})/`, pathNot: TEST_ONLY },
      to: { path: '^src/[^/]+/', pathNot: [`^src/(${PLUMBING.join('|')})/`, ...TEST_ONLY] },
    },
    {
      name: 'no-testing-in-product',
      severity: 'error',
      comment: 'Test helpers stay out of the product: only tests (and the benchmarks) import them.',
      from: { path: '^(src|bin)/', pathNot: TEST_ONLY },
      to: { path: TEST_ONLY },
    },
    {
      name: 'web-calls-the-api',
      severity: 'error',
      comment: 'The portal talks to the server through the client generated from openapi/lanyard.json.',
      from: { path: '^web/src/' },
      to: { path: '^src/' },
    },
    {
      name: 'migrations-are-frozen',
      severity: 'error',
      comment: 'A migration imports nothing of the application, so that changing the code never changes a migration.',
      from: { path: '^src/db/migrations/' },
      to: { pathNot: ['^src/db/migrations/', 'node_modules', '^node:'], dependencyTypesNot: ['core'] },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that does not resolve to a file.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['(^|/)dist/', '^web/src/shared/api/schema\\.d\\.ts$'] },
    // swc keeps type-only imports (a type from another feature's repository still ties the two) without
    // tsPreCompilationDeps, which would ask for the TypeScript compiler API that TypeScript 7 does not have yet.
    tsPreCompilationDeps: false,
    parser: 'swc',
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
      extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.d.ts', '.json'],
    },
  },
};
