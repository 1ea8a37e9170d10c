/**
 * Turning findings into `Problem`s: the document path becomes a `passes[2].from:` prefix and a
 * file:line:col location (the value's position, or the key's for unknown keys).
 */
import type { Document, LineCounter } from 'yaml';
import { ExitCode, type Problem, type SourceLocation } from '../errors.js';
import { escapeHidden } from '../util/hidden-chars.js';
import { locatePath, type DocPath } from './yaml/locate.js';
import { locateInString } from './yaml/scalar-offset.js';

interface ProblemSpec {
  readonly code: string;
  readonly path: DocPath;
  readonly message: string;
  readonly hint?: string | undefined;
  /** Path named in the message prefix, when it differs from `path` (unknown keys: the parent). */
  readonly label?: DocPath;
  /** Point at the key rather than the value (unknown keys, bad names). */
  readonly key?: boolean;
  /**
   * A character offset inside the string value at `path` (inside its key with `key`): the location
   * is that character's (yaml/scalar-offset.ts).
   */
  readonly offset?: number;
  readonly exitCode?: ExitCode;
  readonly severity?: Problem['severity'];
}

export type Report = (spec: ProblemSpec) => Problem;

/** `passes[2].from`, `sources["my shot"]` (the report escapes a key's bidi and invisible characters: `\u{200B}`). */
export function formatPath(path: DocPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** A location in the recipe file, with the path as the user typed it. */
export function makeLocation(file: string, pos: { line: number; col: number } | undefined): SourceLocation | undefined {
  return pos ? { file, line: pos.line, col: pos.col } : undefined;
}

/** A reporter bound to one parsed document (`text`: its source, for a spec's `offset`). */
export function makeReport(displayPath: string, doc: Document, lines: LineCounter, text?: string): Report {
  return (spec) => {
    const label = spec.label ?? spec.path;
    const prefix = label.length > 0 ? `${formatPath(label)}: ` : '';
    const pos =
      spec.offset !== undefined && text !== undefined
        ? locateInString(doc, lines, text, spec.path, spec.offset, { key: spec.key ?? false })
        : locatePath(doc, lines, spec.path, { key: spec.key ?? false });
    const location = makeLocation(displayPath, pos);
    return {
      code: spec.code,
      severity: spec.severity ?? 'error',
      // A rule's words may quote a name holding a bidi control or an invisible character (a list of
      // source names): written out, so the line shows in its order (hidden-text.ts reports the name).
      message: escapeHidden(prefix + spec.message),
      ...(spec.hint === undefined ? {} : { hint: escapeHidden(spec.hint) }),
      ...(location === undefined ? {} : { location }),
      path: spec.path,
      exitCode: spec.exitCode ?? ExitCode.DATA_ERR,
    };
  };
}
