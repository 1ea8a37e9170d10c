/**
 * validateRecipe: text → every problem, and the resolved Recipe when there is no error.
 * Stages: YAML (with positions) → schema (zod) and semantic rules side by side → prompt lint.
 * Schema and rules both run on every recipe so one pass shows all problems; where both flag
 * the same spot, the rule's more specific message wins.
 */
import path from 'node:path';
import { ExitCode, type Problem } from '../errors.js';
import type { Runtime } from '../runtime.js';
import { buildRecipe, defaultOutOf, recipeStem } from './build.js';
import { collectRealPaths } from './write-paths.js';
import { makeDraft, setting } from './draft.js';
import { buildGraph } from './graph.js';
import { lintProblems } from './lint-problems.js';
import { findProjectRoot } from './project-root.js';
import { makeLocation, makeReport } from './report.js';
import { HIDDEN_CODES, onValue } from './rules/hidden-text.js';
import { runRules } from './rules/index.js';
import { RecipeSchema } from './schema.js';
import { saveTargetMatcher } from './sources/own-outputs.js';
import { resolveSources } from './sources/resolve.js';
import type { Recipe } from './types.js';
import { locatePath, type DocPath } from './yaml/locate.js';
import { parseRecipeYaml } from './yaml/parse.js';
import { schemaProblems } from './zod-issues.js';
import { allowedSourceRoots, loadUserConfig, userConfigName } from './user-config.js';
import { fileAsOpened, withRealRoots } from '../util/real-path.js';
import { escapeHidden, firstHiddenChar } from '../util/hidden-chars.js';
import { NAME_MAX_BYTES } from '../util/unique-suffix.js';

export interface ValidateOptions {
  /** The recipe path as the user typed it: used in every message. */
  readonly displayPath: string;
  /** Absolute path of the recipe file: relative paths resolve against its folder. */
  readonly file: string;
  readonly rt: Runtime;
  /** Prompt lint findings become errors. */
  readonly strict?: boolean;
  /** Allow `out:` and `save:` outside the project root. */
  readonly allowOutsideRoot?: boolean;
  /** Folders outside the project sources may live in; default: the user config's `allowed_source_roots`. */
  readonly allowedSourceRoots?: readonly string[];
  /**
   * A `save:` path a source glob would match: `kontext validate` makes it an error; a run only
   * warns (its save targets are excluded from its globs either way).
   */
  readonly saveInSources?: 'error' | 'warning';
}

export interface ValidationResult {
  /** `null` when any problem is an error. */
  readonly recipe: Recipe | null;
  /** Errors and warnings, in file order. */
  readonly problems: Problem[];
}

/** Validate recipe text. Never throws for bad input; checks sources on disk. */
export async function validateRecipe(text: string, options: ValidateOptions): Promise<ValidationResult> {
  const { displayPath } = options;
  const badName = fileNameProblem(displayPath, options.file);
  if (badName !== undefined) return { recipe: null, problems: [badName] };
  const yaml = parseRecipeYaml(text);
  if (!yaml.ok) {
    const problems = yaml.issues.map((i): Problem => {
      const location = makeLocation(displayPath, yaml.lines.linePos(i.offset));
      return {
        code: i.code,
        severity: 'error',
        message: i.message,
        ...(i.hint ? { hint: i.hint } : {}),
        ...(location ? { location } : {}),
        exitCode: ExitCode.DATA_ERR,
      };
    });
    return { recipe: null, problems };
  }
  const { doc, lines, data } = yaml.parsed;
  const report = makeReport(displayPath, doc, lines, text);
  const locate = (p: DocPath) => makeLocation(displayPath, locatePath(doc, lines, p));
  // Its folder as the OS reaches it (a symlinked folder followed, a `..` after it too): the sources,
  // lock and outputs a run uses are the files beside it the user sees (walk-ag 4).
  const file = fileAsOpened(options.rt.cwd, options.file);
  const dir = path.dirname(file);
  const projectRoot = findProjectRoot(dir, options.rt.cwd);
  const draft = makeDraft(data);
  const graph = buildGraph(draft);
  const schema = RecipeSchema.safeParse(data);
  // A wildcard must not find the run's own outputs (`out/` beside the recipe, or `out:`) or the cache.
  const ownFolders = new Set([path.resolve(dir, draft.out ?? 'out'), path.join(projectRoot, '.kontext')]);
  const extraRoots = options.allowedSourceRoots ?? allowedSourceRoots(await loadUserConfig(options.rt), options.rt);
  const roots = await withRealRoots([projectRoot, ...extraRoots]);
  // ... nor the files its `save:` paths write.
  const saves = draft.passes.flatMap((p) => setting(draft, p, 'save')?.value ?? []);
  const checked = await resolveSources(
    draft,
    dir,
    report,
    ownFolders,
    { projectRoot, roots, configFile: userConfigName(options.rt) },
    saveTargetMatcher(saves, dir),
  );
  const sources = new Map(checked.sources.map((s) => [s.name, s]));
  const realPaths = await collectRealPaths(draft, dir, projectRoot, checked.sources, defaultOutOf(draft, file));
  const ctx = {
    draft,
    data,
    graph,
    dir,
    projectRoot,
    file,
    lockPath: path.join(dir, `${recipeStem(file)}.lock.json`),
    real: (p: string) => realPaths.get(p) ?? p,
    allowOutsideRoot: options.allowOutsideRoot ?? false,
    saveInSources: options.saveInSources ?? 'warning',
    sources,
    report,
    locate,
  };
  const specific = [...checked.problems, ...runRules(ctx)];
  const lint = lintProblems({ draft, doc, lines, text, displayPath, strict: options.strict ?? false });
  const problems = sortByPosition([
    ...specific,
    ...withoutCovered(schema.success ? [] : schemaProblems(schema.error.issues, data, report), specific),
    // A prompt holding a hidden character gets that error only: lint quotes its words, the character in them.
    ...withoutCovered(
      lint,
      specific.filter((p) => HIDDEN_CODES.has(p.code)),
    ),
  ]);
  if (!schema.success || problems.some((p) => p.severity === 'error')) return { recipe: null, problems };
  const warnings = problems.filter((p) => p.severity === 'warning');
  const recipe = buildRecipe({ doc: schema.data, graph, sources, file, displayPath, projectRoot, warnings, locate });
  return { recipe, problems };
}

/**
 * A hidden character in the recipe's file name (docs/architecture.md#hidden-characters): the name
 * names its lock file and, without `name:`, its output folder, so it is refused as any name of the
 * recipe is, the path written with every such character as `\u{202E}`.
 */
function fileNameProblem(displayPath: string, file: string): Problem | undefined {
  const base = path.basename(file);
  const hidden = firstHiddenChar(base, 'name');
  if (hidden === null) return stemTooLong(displayPath, base);
  const held = `${hidden.code} (${hidden.what}) at character ${hidden.index + 1}`;
  return {
    code: hidden.kind === 'invisible' ? 'invisible-character' : 'control-character',
    severity: 'error',
    message:
      `${escapeAll(displayPath)}: the recipe's file name holds ${held}, and names the lock file ` +
      `(${escapeAll(recipeStem(base))}.lock.json) and the default output folder`,
    hint: 'rename the file without it: a name must read as it is',
    exitCode: ExitCode.DATA_ERR,
  };
}

/** The longest suffix a run adds to the recipe's stem: its run lock, `<stem>.lock.json.run.lck`. */
const LONGEST_LOCK_SUFFIX = '.lock.json.run.lck';

/**
 * A file name holds 255 bytes: a recipe whose stem leaves no room for its run lock's name passed
 * validate and then failed every run (ENAMETOOLONG on `<stem>.lock.json.run.lck`).
 */
function stemTooLong(displayPath: string, base: string): Problem | undefined {
  const stem = recipeStem(base);
  const room = NAME_MAX_BYTES - Buffer.byteLength(LONGEST_LOCK_SUFFIX);
  const used = Buffer.byteLength(stem);
  if (used <= room) return undefined;
  return {
    code: 'path-length',
    severity: 'error',
    message:
      `${escapeAll(displayPath)}: the recipe's file name is too long: its stem is ${used} bytes, and its run lock ` +
      `(<stem>${LONGEST_LOCK_SUFFIX}) must fit a file name's ${NAME_MAX_BYTES} bytes`,
    hint: `rename the file to a stem of at most ${room} bytes`,
    exitCode: ExitCode.DATA_ERR,
  };
}

/** `s` with every control, bidi and invisible character written as `\u{202E}`. */
function escapeAll(s: string): string {
  return escapeHidden(s).replace(
    /[\u0000-\u001f\u007f-\u009f]/g,
    (c) => `\\u{${c.charCodeAt(0).toString(16).toUpperCase()}}`,
  );
}

/**
 * Problems (the schema's, lint's) at a path a more specific finding already reported on add nothing
 * but noise; an unknown key is still named when the finding there is a hidden character in its value.
 */
function withoutCovered(problems: readonly Problem[], specific: readonly Problem[]): Problem[] {
  const at = (p: Problem) => JSON.stringify(p.path ?? null);
  const covered = new Set(specific.map(at));
  const keyCovered = new Set(specific.filter((p) => !onValue(p)).map(at));
  return problems.filter((p) => !(p.code === 'unknown-key' ? keyCovered : covered).has(at(p)));
}

/** File order (line, then column); problems without a position keep their place at the end. */
function sortByPosition(problems: readonly Problem[]): Problem[] {
  const rank = (p: Problem) => (p.location ? p.location.line * 1e6 + p.location.col : Number.MAX_SAFE_INTEGER);
  return problems
    .map((p, i) => ({ p, i }))
    .sort((a, b) => rank(a.p) - rank(b.p) || a.i - b.i)
    .map((x) => x.p);
}
