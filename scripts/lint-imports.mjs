// `npm run lint:imports`: dependency-cruiser's command
//   depcruise <folders> --config .dependency-cruiser.cjs --ignore-known --output-type err
// through its API, so that it runs on Node.js 20 as well. Its command refuses to start outside the Node.js
// lines it supports (22 and 24 for dependency-cruiser 18); the API is the same cruise, the same rules and the
// same report, and on Node.js 20.20 it finds what it finds on 24. Version 17 still starts on 20 but cannot
// read .tsx with swc, and the TypeScript compiler API it would need instead is gone from TypeScript 7.
import { readFile } from 'node:fs/promises';
import { cruise } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';

const folders = process.argv.slice(2);
if (folders.length === 0) throw new Error('Name the folders to check, as depcruise takes them.');

const { engines } = JSON.parse(await readFile('node_modules/dependency-cruiser/package.json', 'utf8'));
const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  process.stderr.write(
    `lint:imports: dependency-cruiser supports Node.js ${engines.node}; running its API on ${process.version}, ` +
      'which it does not support.\n',
  );
}

const options = await extractDepcruiseOptions('./.dependency-cruiser.cjs');
// --ignore-known: the file must exist (ARCHITECTURE.md keeps it empty), as the command requires.
options.knownViolations = JSON.parse(await readFile('.dependency-cruiser-known-violations.json', 'utf8'));
options.outputType = 'err';
const tsConfig = extractTSConfig(options.tsConfig.fileName);

const { output, exitCode } = await cruise(folders, options, {}, { tsConfig });
process.stdout.write(output);
process.exitCode = exitCode;
