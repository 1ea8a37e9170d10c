/** Build a RuleContext from YAML text, with sources faked (no I/O): for table-driven rule tests. */
import type { Problem } from '../../../src/errors.js';
import { makeDraft } from '../../../src/recipe/draft.js';
import { buildGraph } from '../../../src/recipe/graph.js';
import { makeLocation, makeReport } from '../../../src/recipe/report.js';
import type { Rule, RuleContext } from '../../../src/recipe/rules/context.js';
import type { Source } from '../../../src/recipe/types.js';
import { locatePath } from '../../../src/recipe/yaml/locate.js';
import { parseRecipeYaml } from '../../../src/recipe/yaml/parse.js';

export interface FakeOptions {
  /** Instance count per glob source name (others are plain files). */
  readonly globs?: Readonly<Record<string, number>>;
  readonly projectRoot?: string;
  readonly dir?: string;
  readonly allowOutsideRoot?: boolean;
  /** Where paths really lead (symlinks), lexical → real; the rest lead where they say. */
  readonly real?: Readonly<Record<string, string>>;
}

export function contextFrom(text: string, options: FakeOptions = {}): RuleContext {
  const yaml = parseRecipeYaml(text);
  if (!yaml.ok) throw new Error(`bad test YAML: ${yaml.issues.map((i) => i.message).join('; ')}`);
  const { doc, lines, data } = yaml.parsed;
  const draft = makeDraft(data);
  const sources = new Map<string, Source>();
  for (const s of draft.sources) {
    const n = options.globs?.[s.name];
    const instances =
      n === undefined
        ? [{ instance: null, path: `/p/${s.name}.jpg` }]
        : Array.from({ length: n }, (_, i) => ({ instance: `f${i}`, path: `/p/f${i}.jpg` }));
    sources.set(s.name, { name: s.name, kind: n === undefined ? 'file' : 'glob', spec: s.spec ?? '', instances });
  }
  return {
    draft,
    data,
    graph: buildGraph(draft),
    dir: options.dir ?? '/proj/recipes',
    projectRoot: options.projectRoot ?? '/proj',
    file: `${options.dir ?? '/proj/recipes'}/r.yml`,
    lockPath: `${options.dir ?? '/proj/recipes'}/r.lock.json`,
    real: (p) => options.real?.[p] ?? p,
    allowOutsideRoot: options.allowOutsideRoot ?? false,
    saveInSources: 'error',
    sources,
    report: makeReport('r.yml', doc, lines, text),
    locate: (p) => makeLocation('r.yml', locatePath(doc, lines, p)),
  };
}

/** `code@line:col` for compact table assertions. */
export function brief(p: Problem): string {
  return `${p.code}@${p.location?.line ?? '?'}:${p.location?.col ?? '?'}`;
}

export function run(rule: Rule, text: string, options?: FakeOptions): Problem[] {
  return rule(contextFrom(text, options));
}

/** A minimal valid recipe head, for tests that only vary the passes. */
export const HEAD = 'version: 1\nsources:\n  photo: a.jpg\npasses:\n';

/** {@link HEAD} followed by these pass lines. */
export const withHead = (lines: string): string => HEAD + lines;

/** One rule case of rules.test.ts (and the case files it runs). */
export interface RuleCase {
  readonly name: string;
  readonly rule: Rule;
  readonly text: string;
  readonly options?: FakeOptions;
  /** `code@line:col` of every problem, in order. */
  readonly expect: readonly string[];
  /** Substrings of the first problem's message and hint. */
  readonly message?: string;
  readonly hint?: string;
  /** Of every problem: `error` unless said. */
  readonly severity?: 'warning';
}
