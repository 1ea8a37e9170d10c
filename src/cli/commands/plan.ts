/** `kontext plan <recipe> [--json | --format text|json|mermaid]` */
import { UsageError } from '../../index.js';
import { buildPlan, loadRecipe, planToJson, renderPlanMermaid, renderPlanText, formatProblem } from '../../index.js';
import { escapeControls } from '../../index.js';
import type { CliContext } from '../context.js';
import { jsonText } from '../json-text.js';

export async function planCommand(path: string, opts: Record<string, unknown>, ctx: CliContext): Promise<number> {
  const format = chooseFormat(opts);
  const recipe = await loadRecipe(path, {
    rt: ctx.rt,
    strict: opts['strict'] === true,
    allowOutsideRoot: opts['allowOutsideRoot'] === true,
  });
  for (const w of recipe.warnings) ctx.rt.stderr.write(`${escapeControls(formatProblem(w))}\n`);
  const plan = buildPlan(recipe);
  switch (format) {
    case 'json':
      ctx.rt.stdout.write(`${jsonText(planToJson(plan))}\n`);
      break;
    case 'mermaid':
      ctx.rt.stdout.write(renderPlanMermaid(plan));
      break;
    case 'text':
      ctx.rt.stdout.write(renderPlanText(plan, { color: ctx.flags.color }));
      break;
    default: {
      const never: never = format;
      throw new UsageError(`unknown format ${String(never)}`);
    }
  }
  return 0;
}

function chooseFormat(opts: Record<string, unknown>): 'text' | 'json' | 'mermaid' {
  const format = opts['format'] as 'text' | 'json' | 'mermaid' | undefined;
  if (opts['json'] === true) {
    if (format !== undefined && format !== 'json') throw new UsageError(`--json conflicts with --format ${format}`);
    return 'json';
  }
  return format ?? 'text';
}
