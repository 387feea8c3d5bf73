// The version in package.json, read at run time so that the compiled and the tsx builds agree
// (both sit one folder below the package root).
import { readFileSync } from 'node:fs';

export function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}
