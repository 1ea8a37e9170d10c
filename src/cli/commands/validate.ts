/** `kontext validate <recipe...> [--json] [--strict]` */
import {
  buildPlan,
  escapeControls,
  validateRecipeFile,
  ExitCode,
  worstExitCode,
  formatProblem,
  isKontextError,
  outputClashes,
  type Plan,
  type Problem,
  type Recipe,
  sourceImageProblems,
} from '../../index.js';
import type { CliContext } from '../context.js';
import { jsonText } from '../json-text.js';

interface FileResult {
  readonly recipe: string;
  readonly ok: boolean;
  readonly nodes: number | null;
  readonly problems: readonly Problem[];
  /** The recipe loaded and its plan, when it is valid. */
  readonly loaded?: { readonly recipe: Recipe; readonly plan: Plan } | undefined;
}

export async function validateCommand(
  recipes: readonly string[],
  opts: Record<string, unknown>,
  ctx: CliContext,
): Promise<number> {
  const each: FileResult[] = [];
  for (const path of recipes) each.push(await validateOne(path, opts, ctx));
  const results = await withClashes(each);
  const exit = results.reduce<ExitCode>((acc, r) => worstExitCode(acc, exitFor(r)), ExitCode.OK);
  if (opts['json'] === true) {
    ctx.rt.stdout.write(`${jsonText({ ok: exit === ExitCode.OK, results: results.map(toJson) })}\n`);
    return exit;
  }
  for (const r of results) {
    // A recipe's own strings (a source path, a name) reach these lines: escaped, like renderError's.
    for (const p of r.problems) ctx.rt.stderr.write(`${escapeControls(formatProblem(p))}\n`);
    if (r.ok) {
      const warn = r.problems.length > 0 ? `, ${r.problems.length} warning${r.problems.length === 1 ? '' : 's'}` : '';
      const nodes = r.nodes ?? 0;
      ctx.rt.stdout.write(`${escapeControls(r.recipe)}: ok (${nodes} node${nodes === 1 ? '' : 's'}${warn})\n`);
    }
  }
  return exit;
}

async function validateOne(path: string, opts: Record<string, unknown>, ctx: CliContext): Promise<FileResult> {
  let result: Awaited<ReturnType<typeof validateRecipeFile>>;
  try {
    result = await validateRecipeFile(path, {
      rt: ctx.rt,
      strict: opts['strict'] === true,
      allowOutsideRoot: opts['allowOutsideRoot'] === true,
      saveInSources: 'error',
    });
  } catch (e) {
    if (!isKontextError(e)) throw e;
    const problem: Problem = {
      code: e.code,
      severity: 'error',
      message: e.message,
      ...(e.hint ? { hint: e.hint } : {}),
      exitCode: e.exitCode,
    };
    return { recipe: path, ok: false, nodes: null, problems: [problem] };
  }
  const valid = result.recipe !== null && !result.problems.some((p) => p.severity === 'error');
  // What the run's preflight refuses of a source image, read from its head and tail (a bomb, cut short).
  const images = valid && result.recipe ? await sourceImageProblems(result.recipe.sources) : [];
  const problems = [...result.problems, ...images];
  const ok = valid && images.length === 0;
  const loaded = ok && result.recipe ? { recipe: result.recipe, plan: buildPlan(result.recipe) } : undefined;
  return { recipe: path, ok, nodes: loaded?.plan.nodes.length ?? null, problems, loaded };
}

/**
 * A warning where valid recipes write the same files: two given here, or one and another
 * recipe's lock in its project (walk-ag 1; run/output-clashes.ts).
 */
async function withClashes(results: readonly FileResult[]): Promise<FileResult[]> {
  const valid = results.filter((r) => r.loaded !== undefined);
  const clashes = await outputClashes(valid.flatMap((r) => (r.loaded ? [r.loaded] : [])));
  return results.map((r) => {
    const more = clashes[valid.indexOf(r)] ?? [];
    return more.length === 0 ? r : { ...r, problems: [...r.problems, ...more] };
  });
}

function exitFor(r: FileResult): ExitCode {
  if (r.ok) return ExitCode.OK;
  return r.problems
    .filter((p) => p.severity === 'error')
    .reduce<ExitCode>((acc, p) => worstExitCode(acc, p.exitCode ?? ExitCode.DATA_ERR), ExitCode.DATA_ERR);
}

function toJson(r: FileResult): Record<string, unknown> {
  return {
    recipe: r.recipe,
    ok: r.ok,
    nodes: r.nodes,
    problems: r.problems.map((p) => ({
      severity: p.severity,
      code: p.code,
      message: p.message,
      hint: p.hint ?? null,
      file: p.location?.file ?? r.recipe,
      line: p.location?.line ?? null,
      col: p.location?.col ?? null,
    })),
  };
}
