// Attribute paths (RFC 7644 section 3.10): [URI ":"] ATTRNAME ["." subAttr], shared by
// filters, PATCH paths and the attributes/excludedAttributes parameters.
import { scimErrors, type ScimError } from './errors.ts';
import type { AttrPath } from './schema/registry.ts';

// RFC 7643 2.1 ATTRNAME = ALPHA *(nameChar); `$ref` is the one name the RFC itself breaks the rule with.
const ATTRNAME = /^(?:[A-Za-z][A-Za-z0-9_-]*|\$ref)$/;
const URN = /^urn:[A-Za-z0-9][A-Za-z0-9.:_-]*$/i;
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

export type PathErrorFactory = (detail: string) => ScimError;

export function isForbiddenKey(name: string): boolean {
  return FORBIDDEN.has(name.toLowerCase());
}

function checkName(name: string, whole: string, fail: PathErrorFactory): void {
  if (!ATTRNAME.test(name)) throw fail(`"${whole}" is not a valid attribute path ("${name}" is not an attribute name)`);
  if (isForbiddenKey(name)) throw fail(`"${whole}" names a forbidden attribute`);
}

/**
 * Splits one written path. A URN prefix ends at the last ':' (the URN itself contains '.'
 * in "2.0"), so `urn:...:2.0:User:manager.value` is {uri, attr: manager, sub: value}.
 */
export function parseAttrPath(text: string, fail: PathErrorFactory = scimErrors.invalidPath): AttrPath {
  if (text.length === 0) throw fail('Empty attribute path');
  let uri: string | undefined;
  let rest = text;
  const colon = text.lastIndexOf(':');
  if (colon >= 0) {
    uri = text.slice(0, colon);
    rest = text.slice(colon + 1);
    if (!URN.test(uri)) throw fail(`"${text}" has an invalid schema URN prefix`);
  }
  const parts = rest.split('.');
  if (parts.length > 2) throw fail(`"${text}" nests deeper than attribute.subAttribute`);
  const [attr, sub] = parts;
  checkName(attr, text, fail);
  if (sub !== undefined) checkName(sub, text, fail);
  return Object.freeze({ ...(uri !== undefined ? { uri } : {}), attr, ...(sub !== undefined ? { sub } : {}) });
}

export function printAttrPath(p: AttrPath): string {
  return `${p.uri !== undefined ? `${p.uri}:` : ''}${p.attr}${p.sub !== undefined ? `.${p.sub}` : ''}`;
}

/** `attributes` / `excludedAttributes`: a comma-separated list of paths (RFC 7644 3.4.2.5). */
export function parseAttributeList(text: string | undefined): AttrPath[] {
  if (text === undefined || text.trim() === '') return [];
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    // RFC 7644 3.9 defines no value filter in `attributes`, but clients send one
    // (`emails[type eq "work"]`): it names the attribute (`emails`, or `emails.value`).
    .map((s) => parseAttrPath(s.replace(/\[[^\]]*\]/, ''), scimErrors.invalidValue));
}
