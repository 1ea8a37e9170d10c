/**
 * The YAML parser's syntax errors in a recipe author's words: one issue per mistake (the parser
 * may say two things about one), with the hint that fixes it (an indentation, a colon in a value
 * that wants quotes, a mapping key written on one line).
 */
import type { YAMLError } from 'yaml';

export interface YamlIssue {
  readonly code: string;
  readonly message: string;
  readonly hint?: string;
  readonly offset: number;
}

/** What a second YAML document in a recipe (or a pick's recipe text) is called. */
export const MULTIPLE_DOCUMENTS = 'a recipe file holds one YAML document';

/**
 * The parser's errors we say in our own words: its message for a second document is advice to
 * its programmer ("please use YAML.parseAllDocuments()"), not to the recipe's author.
 */
const HINTS: Readonly<Record<string, { code: string; hint: string; message?: string }>> = {
  TAB_AS_INDENT: { code: 'yaml-tab', hint: 'indent with spaces; YAML does not allow tabs for indentation' },
  MULTIPLE_DOCS: {
    code: 'yaml-multiple-documents',
    message: MULTIPLE_DOCUMENTS,
    hint: 'a second one starts here: remove the `---` or `...` separator, or move what follows to a file of its own',
  },
};

/**
 * A line indented too far or not far enough (or a `-id:` without its space): the parser says what its
 * grammar missed, often twice at one place ("nested mappings are not allowed in compact mappings",
 * "implicit keys need to be on a single line"); the author needs to look at the indentation.
 */
const INDENT_CODES = new Set(['BLOCK_AS_IMPLICIT_KEY', 'MULTILINE_IMPLICIT_KEY', 'BAD_INDENT']);
const INDENT_HINT =
  'check the indentation of the lines around this one: the keys of one mapping line up, the items ' +
  'of one list start at the same column, and each key is followed by ": " (a colon and a space)';

/**
 * The first of the issues of one kind on one line: the parser may say two things about one
 * mistake (both `yaml-indent`), or one per colon of `prompt: a: b: c`; an issue of another kind
 * there (a repeated key) is kept.
 */
export function oneAtEach(issues: readonly YamlIssue[], text: string): YamlIssue[] {
  const lineOf = (offset: number): number => text.lastIndexOf('\n', offset - 1);
  return issues.filter((issue, i) => {
    const before = issues[i - 1];
    return before === undefined || before.code !== issue.code || lineOf(before.offset) !== lineOf(issue.offset);
  });
}

/**
 * `key: some words: more` on one line: YAML reads the second `: ` as a mapping inside the value,
 * and the parser's complaint is the one a wrong indentation gets; the fix is quotes, not spaces.
 */
const COLON_IN_VALUE = /^\s*(?:-\s+)?([A-Za-z_][\w-]*):\s+[^\s'"|>{[&*!#][^#]*?:(?:\s|$)/;

/** Keys whose value is a mapping: `params: output_format: webp` wants braces or a new line, not quotes. */
const MAPPING_KEYS = new Set(['params', 'defaults', 'sources', 'hosting', 'cache']);

function unquotedColon(text: string, offset: number): YamlIssue | undefined {
  const start = text.lastIndexOf('\n', offset - 1) + 1;
  const end = text.indexOf('\n', offset);
  const line = text.slice(start, end === -1 ? undefined : end);
  const key = COLON_IN_VALUE.exec(line)?.[1];
  if (key === undefined) return undefined;
  if (MAPPING_KEYS.has(key))
    return {
      code: 'yaml-indent',
      message: `"${key}" takes a mapping: its keys go in braces or on the lines below, indented`,
      hint: `write ${key}: { a: b } or put a: b on its own line under ${key}:, indented`,
      offset,
    };
  // A value holding double quotes already is quoted with single ones (review-z 7).
  const quoted = line.includes('"') ? `'…: "…"'` : '"…: …"';
  return {
    code: 'yaml-unquoted-colon',
    message: `the value of "${key}" holds ": " (a colon and a space), which YAML reads as a key of its own`,
    hint: `quote the value: ${key}: ${quoted}; or write it as a block, "${key}: >-" with the text indented below`,
    offset,
  };
}

export function syntaxIssue(e: YAMLError, text: string): YamlIssue {
  const known = HINTS[e.code];
  const offset = e.pos[0];
  // yaml's messages end with "at line N, column M:" and a code frame when prettyErrors is on; we
  // turned that off and add our own file:line:col prefix instead.
  const message = known?.message ?? lowerFirst(e.message.split('\n')[0] ?? e.message);
  if (known) return { code: known.code, message, hint: known.hint, offset };
  // Not an unclosed flow map or list (also BAD_INDENT): the closing bracket is what is missing there.
  if (INDENT_CODES.has(e.code) && !/flow/i.test(e.message))
    return unquotedColon(text, offset) ?? { code: 'yaml-indent', message, hint: INDENT_HINT, offset };
  return { code: 'yaml-syntax', message, offset };
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}
