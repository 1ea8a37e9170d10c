/**
 * zod issues → Problems in words a person can act on ("unknown key "promt" (did you mean
 * "prompt"?)" rather than "Unrecognized key"), each located at its line and column.
 */
import type { z } from 'zod';
import type { Problem } from '../errors.js';
import { didYouMean } from '../util/did-you-mean.js';
import { knownKeysAt } from './known-keys.js';
import { EMPTY_PROMPT } from './lint/rules/length.js';
import type { Report } from './report.js';
import { RecipeSchema } from './schema.js';
import type { DocPath } from './yaml/locate.js';

type Issue = z.core.$ZodIssue;

function valueAt(data: unknown, path: DocPath): unknown {
  let cur = data;
  for (const seg of path) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}

/** "a number", "a list", … for messages. */
function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `"${v.length > 40 ? `${v.slice(0, 37)}...` : v}"`;
  return typeof v === 'number' || typeof v === 'boolean' ? String(v) : `a ${typeof v}`;
}

const TYPE_NAMES: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
  record: 'a mapping',
};
const typeName = (t: string): string => TYPE_NAMES[t] ?? t;

export function schemaProblems(issues: readonly Issue[], data: unknown, report: Report): Problem[] {
  return issues.flatMap((issue) => issueProblems(issue, data, report));
}

function issueProblems(issue: Issue, data: unknown, report: Report): Problem[] {
  const path = issue.path as DocPath;
  const value = valueAt(data, path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = knownKeysAt(RecipeSchema, data, path);
      return issue.keys.map((key) =>
        report({
          code: 'unknown-key',
          path: [...path, key],
          label: path,
          key: true,
          message: `unknown key "${key}"`,
          hint: didYouMean(key, known) ?? `allowed keys: ${known.join(', ')}`,
        }),
      );
    }
    case 'invalid_type': {
      if (value === undefined) {
        const field = path.at(-1);
        return [
          report({
            code: 'missing-field',
            path,
            label: path.slice(0, -1),
            message: `required key "${String(field)}" is missing`,
          }),
        ];
      }
      // `prompt:` with nothing after it is YAML's null: the empty prompt it is meant as (walk-r 5).
      if (value === null && path.at(-1) === 'prompt') return [report({ code: 'empty-prompt', path, ...EMPTY_PROMPT })];
      const got = value === null ? 'nothing (no value after the colon)' : describeValue(value);
      return [report({ code: 'invalid-type', path, message: `expected ${typeName(issue.expected)}, got ${got}` })];
    }
    case 'invalid_value': {
      const allowed = issue.values.map((v) => JSON.stringify(v));
      // A required key with a literal or enum value (`version: 1`), absent: not "got a undefined".
      if (value === undefined) return [missingOneOf(path, allowed, report)];
      const message =
        allowed.length === 1
          ? `expected ${allowed[0]}, got ${describeValue(value)}`
          : `expected one of ${allowed.join(', ')}, got ${describeValue(value)}`;
      const hint = allowed.length === 1 ? undefined : didYouMean(String(value), issue.values.map(String));
      return [report({ code: 'invalid-value', path, message, hint })];
    }
    case 'invalid_union':
      return [unionProblem(issue, value, report)];
    case 'too_small':
    case 'too_big':
      return [report({ code: 'out-of-range', path, message: rangeMessage(issue, value) })];
    case 'invalid_key':
      return issue.issues.map((inner) =>
        report({ code: 'invalid-key', path, key: true, message: `invalid key: ${inner.message.toLowerCase()}` }),
      );
    default:
      return [
        report({
          code: 'invalid-value',
          path,
          message: issue.message.charAt(0).toLowerCase() + issue.message.slice(1),
        }),
      ];
  }
}

function unionProblem(issue: z.core.$ZodIssueInvalidUnion, value: unknown, report: Report): Problem {
  const path = issue.path as DocPath;
  const options = (issue as { options?: readonly unknown[] }).options;
  if (options) {
    const allowed = options.map((o) => JSON.stringify(o));
    if (value === undefined) return missingOneOf(path, allowed, report);
    return report({
      code: 'invalid-value',
      path,
      message: `expected one of ${allowed.join(', ')}, got ${describeValue(value)}`,
      hint: didYouMean(String(value), options.map(String)),
    });
  }
  const expected = [
    ...new Set(
      issue.errors.flatMap((errs) => errs.map((e) => (e.code === 'invalid_type' ? typeName(e.expected) : undefined))),
    ),
  ].filter((e) => e !== undefined);
  const what = expected.length > 0 ? expected.join(' or ') : 'one of the allowed forms';
  return report({ code: 'invalid-type', path, message: `expected ${what}, got ${describeValue(value)}` });
}

/**
 * A required key whose value is one of `allowed` (JSON-quoted) is not there: reported at the
 * mapping that lacks it, as any missing required key is.
 */
function missingOneOf(path: DocPath, allowed: readonly string[], report: Report): Problem {
  const key = String(path.at(-1));
  return report({
    code: 'missing-field',
    path,
    label: path.slice(0, -1),
    message: `required key "${key}" is missing${allowed.length === 1 ? '' : ` (one of ${allowed.join(', ')})`}`,
    ...(allowed.length === 1 && { hint: `add ${key}: ${allowed[0] ?? ''}` }),
  });
}

function rangeMessage(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig, value: unknown): string {
  const small = issue.code === 'too_small';
  const bound = small ? (issue as z.core.$ZodIssueTooSmall).minimum : (issue as z.core.$ZodIssueTooBig).maximum;
  if (issue.origin === 'string' && small && Number(bound) === 1) return 'must not be empty';
  if (issue.origin === 'array') {
    const items = `${String(bound)} item${Number(bound) === 1 ? '' : 's'}`;
    return small ? `needs at least ${items}` : `allows at most ${items}`;
  }
  return `must be ${small ? '>=' : '<='} ${String(bound)}, got ${describeValue(value)}`;
}
