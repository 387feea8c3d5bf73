// Reading the engine's input files (mappings, source directories, scope filters): a missing
// file or broken JSON is one line that names the file and, for JSON, the line and column.
import { readFileSync } from 'node:fs';

export class InputFileError extends Error {}

export function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a file' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new InputFileError(`${path}: ${why}`);
  }
}

/** Line and column (1-based) of a character offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  return { line: before.split('\n').length, column: offset - before.lastIndexOf('\n') };
}

/** JSON text parsed, or an error `name:line:column: what` (V8 reports the position). */
export function parseJsonText(text: string, name: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const message = (e as Error).message.replace(/\s*\(line \d+ column \d+\)$/, '');
    const m = /at position (\d+)/.exec(message);
    const where = m ? lineColumn(text, Number(m[1])) : text.trim() === '' ? { line: 1, column: 1 } : lineColumn(text, text.length);
    throw new InputFileError(`${name}:${where.line}:${where.column}: not valid JSON: ${message.replace(/ in JSON at position \d+.*$/s, '')}`);
  }
}

export function readJsonFile(path: string): unknown {
  return parseJsonText(readText(path), path);
}
