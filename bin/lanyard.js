#!/usr/bin/env node
// Runs the compiled CLI (npm install builds it), or the TypeScript sources through tsx when there is no
// build or when a source file changed after it: a checkout must never run yesterday's code.
import { existsSync, readdirSync, statSync } from 'node:fs';
import module from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// Node keeps the compiled code of our modules and their dependencies on disk (in the OS's temporary
// folder): a restart skips parsing and compiling them again, the larger part of the start-up time.
module.enableCompileCache?.();

const compiled = new URL('../dist/cli/main.js', import.meta.url);
const sources = fileURLToPath(new URL('../src/', import.meta.url));

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    // src/testing is not part of the build (tsconfig.build.json), so it cannot make the build stale.
    if (entry.isDirectory())
      newest = file === path.join(sources, 'testing') ? newest : Math.max(newest, newestSource(file));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts'))
      newest = Math.max(newest, statSync(file).mtimeMs);
  }
  return newest;
}

function buildIsCurrent() {
  if (!existsSync(compiled)) return false;
  // An installed package may ship only the build.
  if (!existsSync(sources)) return true;
  return statSync(compiled).mtimeMs >= newestSource(sources);
}

if (buildIsCurrent()) {
  await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../src/cli/main.ts', import.meta.url).href);
}
