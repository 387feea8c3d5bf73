// Parser cost per input character for growing and adversarial filters: a linear parser shows
// a flat ns/char column. Measured, not asserted (no test fails on a slow machine).
import { parseFilter } from '../src/scim/index.ts';

interface Shape {
  readonly name: string;
  make(n: number): string;
}

const shapes: Shape[] = [
  { name: 'flat or-chain', make: (n) => Array.from({ length: n }, (_, i) => `userName eq "u${i}@x.com"`).join(' or ') },
  { name: 'long string literal', make: (n) => `userName eq "${'x'.repeat(n * 20)}"` },
  { name: 'escapes', make: (n) => `userName eq "${'\\"\\\\'.repeat(n * 5)}"` },
  { name: 'nested parens (depth 30)', make: (n) => `${'('.repeat(30)}${Array.from({ length: n }, (_, i) => `a${i} pr`).join(' and ')}${')'.repeat(30)}` },
  { name: 'value paths', make: (n) => Array.from({ length: n }, (_, i) => `emails[type eq "w${i}" and value co "@x"]`).join(' or ') },
  { name: 'unterminated (error path)', make: (n) => `userName eq "${'a'.repeat(n * 20)}` },
];

function measure(input: string): number {
  const iterations = Math.max(20, Math.floor(200000 / input.length));
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) {
    try {
      parseFilter(input, { maxLength: 1_000_000, maxDepth: 64 });
    } catch {
      // the error path is measured too
    }
  }
  return Number(process.hrtime.bigint() - start) / iterations / input.length;
}

export function runFilterParseBench(): string[] {
  const lines = ['| shape | 1x chars | ns/char | 10x | ns/char | 100x | ns/char | growth |', '|---|---|---|---|---|---|---|---|'];
  for (const s of shapes) {
    const cells: string[] = [];
    const perChar: number[] = [];
    for (const n of [2, 20, 200]) {
      const input = s.make(n);
      const ns = measure(input);
      perChar.push(ns);
      cells.push(String(input.length), ns.toFixed(1));
    }
    lines.push(`| ${s.name} | ${cells.join(' | ')} | ${(perChar[2] / perChar[0]).toFixed(2)}x |`);
  }
  return lines;
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(runFilterParseBench().join('\n'));
