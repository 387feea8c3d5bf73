export * from './ast.ts';
export { parseFilter, DEFAULT_FILTER_LIMITS, type FilterLimits } from './parser.ts';
export { printFilter, printLiteral, textSearchFilter } from './print.ts';
export { bindFilter, bindValueFilter, filterMentions, type BoundFilter, type BoundTarget, type Operand } from './bind.ts';
export { matchesFilter, valuesAt } from './evaluate.ts';
