import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFilter, printFilter, ScimError } from '../../../src/scim/index.ts';

// Every example filter of RFC 7644 section 3.4.2.2, with the printed canonical form.
const RFC_EXAMPLES: [string, string][] = [
  ['userName eq "bjensen"', 'userName eq "bjensen"'],
  ['name.familyName co "O\'Malley"', 'name.familyName co "O\'Malley"'],
  ['userName sw "J"', 'userName sw "J"'],
  ['urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"', 'urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"'],
  ['title pr', 'title pr'],
  ['meta.lastModified gt "2011-05-13T04:42:34Z"', 'meta.lastModified gt "2011-05-13T04:42:34Z"'],
  ['meta.lastModified ge "2011-05-13T04:42:34Z"', 'meta.lastModified ge "2011-05-13T04:42:34Z"'],
  ['meta.lastModified lt "2011-05-13T04:42:34Z"', 'meta.lastModified lt "2011-05-13T04:42:34Z"'],
  ['meta.lastModified le "2011-05-13T04:42:34Z"', 'meta.lastModified le "2011-05-13T04:42:34Z"'],
  ['title pr and userType eq "Employee"', 'title pr and userType eq "Employee"'],
  ['title pr or userType eq "Intern"', 'title pr or userType eq "Intern"'],
  ['schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"', 'schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"'],
  ['userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")', 'userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")'],
  ['userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")', 'userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")'],
  ['userType eq "Employee" and (emails.type eq "work")', 'userType eq "Employee" and emails.type eq "work"'],
  ['userType eq "Employee" and emails[type eq "work" and value co "@example.com"]', 'userType eq "Employee" and emails[type eq "work" and value co "@example.com"]'],
  ['emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]', 'emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]'],
];

test('parses every RFC 7644 3.4.2.2 example filter and prints it back', () => {
  for (const [input, printed] of RFC_EXAMPLES) {
    const ast = parseFilter(input);
    assert.equal(printFilter(ast), printed, input);
    assert.deepEqual(parseFilter(printFilter(ast)), ast, input);
  }
});

test('and binds tighter than or, both associate to the left', () => {
  const ast = parseFilter('a eq 1 or b eq 2 and c eq 3');
  assert.equal(ast.kind, 'or');
  assert.equal(ast.kind === 'or' && ast.right.kind, 'and');
  const left = parseFilter('a eq 1 and b eq 2 and c eq 3');
  assert.equal(left.kind === 'and' && left.left.kind, 'and');
});

test('operators, logical words and attribute names are case-insensitive', () => {
  const ast = parseFilter('userName EQ "x" AND Title Pr');
  assert.deepEqual(ast, parseFilter('userName eq "x" and Title pr'));
});

test('accepts literals of every JSON type, with escapes', () => {
  const ast = parseFilter('a eq "q\\"uo\\\\te\\u00e9" or b eq 42 or c eq -1.5e3 or d eq true or e eq False or f eq null');
  const printed = printFilter(ast);
  assert.equal(printed, 'a eq "q\\"uo\\\\teé" or b eq 42 or c eq -1.5e3 or d eq true or e eq false or f eq null');
});

test('accepts unquoted values as Genesys documents them', () => {
  const ast = parseFilter('userName eq search@sample.org');
  assert.deepEqual(ast, parseFilter('userName eq "search@sample.org"'));
  const uuid = parseFilter('id eq 857449b0-d9e7-4cd0-acbf-a6adfb9ef1e9');
  assert.equal(uuid.kind === 'compare' && uuid.value.kind, 'string');
});

test('accepts single-quoted strings (Entra documentation style)', () => {
  assert.deepEqual(
    parseFilter("externalIds[authority eq 'microsoftteams']"),
    parseFilter('externalIds[authority eq "microsoftteams"]'),
  );
});

test('reads Entra\'s emails[type eq "work"].value eq "x" as one value filter', () => {
  const ast = parseFilter('emails[type eq "work"].value eq "jq@contoso.com"');
  assert.equal(printFilter(ast), 'emails[type eq "work" and value eq "jq@contoso.com"]');
});

test('parses the Genesys externalIds filter with its full URN', () => {
  const ast = parseFilter('urn:ietf:params:scim:schemas:extension:genesys:purecloud:2.0:User:externalIds[authority eq "a" and value eq "v"]');
  assert.equal(ast.kind, 'valuePath');
  assert.equal(ast.kind === 'valuePath' && ast.path.uri, 'urn:ietf:params:scim:schemas:extension:genesys:purecloud:2.0:User');
});

test('parses Entra\'s group membership check', () => {
  const ast = parseFilter('id eq "g1" and members[value eq "u1"]');
  assert.equal(printFilter(ast), 'id eq "g1" and members[value eq "u1"]');
});

const BAD: [string, RegExp][] = [
  ['', /empty/],
  ['userName', /Expected an operator/],
  ['userName eq', /Expected a value/],
  ['userName xx "a"', /Unknown operator "xx"/],
  ['userName eq "unterminated', /Unterminated string/],
  ['(userName eq "a"', /Expected "\)"/],
  ['userName eq "a")', /Unexpected "\)"/],
  ['emails[type eq "work"', /Expected "\]"/],
  ['emails[type[value eq "x"] eq "work"]', /cannot be nested/],
  ['userName eq "a" and', /Expected an expression/],
  ['userName eq "a" or or b eq "c"', /Unknown operator|Expected/],
  ['__proto__ eq "x"', /attribute name/],
  ['a.b.c eq "x"', /nests deeper/],
  ['"x" eq userName', /Expected an attribute path/],
  ['userName eq "bad \\q escape"', /Invalid escape/],
  // NUL and lone surrogates, however they are written: decoded escapes are checked too.
  ['userName co "\\u0000"', /position 13 contains a NUL/],
  ['userName eq "a\\u0000b"', /NUL/],
  ["displayName sw 'x\\u0000'", /NUL/],
  ['userName eq "\u0000"', /NUL/],
  ['id eq "\\uD800"', /lone UTF-16 surrogate/],
  ['id eq "\\uDC00x"', /lone UTF-16 surrogate/],
  ['id eq "\\uDE00\\uD83D"', /lone UTF-16 surrogate/],
  ['groups.display ew "\\uD83D"', /lone UTF-16 surrogate/],
  ['emails[value co "\\u0000"]', /NUL/],
];

test('rejects malformed filters with invalidFilter saying where', () => {
  for (const [input, message] of BAD) {
    assert.throws(
      () => parseFilter(input),
      (e: unknown) => e instanceof ScimError && e.status === 400 && e.scimType === 'invalidFilter' && message.test(e.message),
      input,
    );
  }
});

test('a surrogate pair written as two escapes is one character, and is accepted', () => {
  assert.deepEqual(parseFilter('displayName eq "\\uD83D\\uDE00 \\u00e9"'), parseFilter('displayName eq "😀 é"'));
});

test('reports the 1-based position of the offending token', () => {
  assert.throws(() => parseFilter('userName eq "a" and title zz "b"'), /position 27/);
});

test('bounds the work: length and nesting limits', () => {
  assert.throws(() => parseFilter(`userName eq "${'x'.repeat(5000)}"`), /longer than 4096/);
  const deep = `${'('.repeat(40)}a eq 1${')'.repeat(40)}`;
  assert.throws(() => parseFilter(deep), /deeper than 32/);
  const notDeep = `${'not ('.repeat(40)}a eq 1${')'.repeat(40)}`;
  assert.throws(() => parseFilter(notDeep), /deeper than 32/);
  assert.doesNotThrow(() => parseFilter(`${'('.repeat(30)}a eq 1${')'.repeat(30)}`));
});

test('a long flat chain of and/or parses without deep recursion', () => {
  const flat = Array.from({ length: 200 }, (_, i) => `a${i} eq ${i}`).join(' or ');
  const ast = parseFilter(flat);
  assert.equal(ast.kind, 'or');
});
