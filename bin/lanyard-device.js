#!/usr/bin/env node
// Runs the compiled device simulator (npm install builds it); falls back to the TypeScript sources through tsx.
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/device-sdk/main.js', import.meta.url);
if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../src/device-sdk/main.ts', import.meta.url).href);
}
