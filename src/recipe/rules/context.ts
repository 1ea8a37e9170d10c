/** What every semantic rule receives. Rules are pure: all I/O happened before. */
import type { Problem, SourceLocation } from '../../errors.js';
import type { Draft } from '../draft.js';
import type { PassGraph } from '../graph.js';
import type { Report } from '../report.js';
import type { Source } from '../types.js';
import type { DocPath } from '../yaml/locate.js';

export interface RuleContext {
  readonly draft: Draft;
  /** The document as plain data (what the schema checks): every string a recipe author wrote. */
  readonly data: unknown;
  readonly graph: PassGraph;
  /** Folder of the recipe file: relative paths resolve against it. */
  readonly dir: string;
  readonly projectRoot: string;
  /** Absolute path of the recipe file, and of its lock beside it. */
  readonly file: string;
  readonly lockPath: string;
  /** Where a path really leads through symlinks (gathered before the rules, see write-paths.ts); else itself. */
  readonly real: (abs: string) => string;
  readonly allowOutsideRoot: boolean;
  /** Severity of a `save:` path inside a source glob (an error for `kontext validate`). */
  readonly saveInSources: 'error' | 'warning';
  /** Sources that resolved (exist, matched), by name. */
  readonly sources: ReadonlyMap<string, Source>;
  readonly report: Report;
  readonly locate: (path: DocPath) => SourceLocation | undefined;
}

/** A rule: a small pure function that returns every problem it finds (never stops at one). */
export type Rule = (ctx: RuleContext) => Problem[];

/** `jacket_Blue` → `jacket-blue`: what a kebab-case hint suggests. */
export function toKebab(s: string): string {
  return s
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}
