#!/usr/bin/env node
// The `scimitar` command: the compiled CLI (`npm ci` builds it; `npm run build` after edits).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/index.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('scimitar: the compiled CLI is missing; run `npm run build` (npm ci does it)\n');
  process.exit(1);
}
const { runCli } = await import(entry.href);
await runCli(process.argv);
