#!/usr/bin/env node
// Runs the compiled device simulator (npm install builds it); falls back to the TypeScript sources through tsx.
import { existsSync } from 'node:fs';
import module from 'node:module';

// Node keeps the compiled code of our modules and their dependencies on disk (in the OS's temporary
// folder): a restart skips parsing and compiling them again, the larger part of the start-up time.
module.enableCompileCache?.();

const compiled = new URL('../dist/device-sdk/main.js', import.meta.url);
if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../src/device-sdk/main.ts', import.meta.url).href);
}
