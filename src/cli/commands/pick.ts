/**
 * `kontext pick <recipe> <node-id> [--clear] [--json]`: write `pick: <k>` into the pass the node
 * id names, or with `--clear` take it out.
 */
import { type ClearResult, clearPick, escapeName, type PickResult, writePick } from '../../index.js';
import type { CliContext } from '../context.js';
import { displayPath } from '../display-paths.js';
import { jsonText } from '../json-text.js';

export async function pickCommand(
  recipe: string,
  nodeId: string,
  opts: Record<string, unknown>,
  ctx: CliContext,
): Promise<number> {
  const onWait = (pid: number | undefined): void => {
    ctx.rt.stderr.write(
      `waiting for another kontext pick (pid ${pid === undefined ? '?' : String(pid)}) on ${escapeName(recipe)}\n`,
    );
  };
  const result =
    opts['clear'] === true
      ? await clearPick(recipe, nodeId, { rt: ctx.rt, onWait })
      : await writePick(recipe, nodeId, { rt: ctx.rt, onWait });
  if (opts['json'] === true) {
    ctx.rt.stdout.write(`${jsonText(toJson(result))}\n`);
    return 0;
  }
  const file = displayPath(result.file, ctx.rt.cwd);
  ctx.rt.stdout.write(`${result.variant === null ? clearMessage(result, file) : pickMessage(result, file)}\n`);
  return 0;
}

function clearMessage(r: ClearResult, file: string): string {
  if (!r.changed) return `${file}: ${r.pass} has no pick:; nothing changed`;
  const layout = r.method === 'reprinted' ? ' (the YAML was printed again; check its layout)' : '';
  return `${file}: ${r.pass} no longer has pick: (was ${r.previous}); the passes after it take every variant${layout}`;
}

/** One line: what was written, and that a pick is per pass even when an instance was named. */
function pickMessage(r: PickResult, file: string): string {
  const head = r.changed
    ? `${file}: ${r.pass} now has pick: ${r.variant}${r.previous === null ? '' : ` (was ${r.previous})`}`
    : `${file}: ${r.pass} already has pick: ${r.variant}; nothing changed`;
  const scope =
    r.instance === null
      ? ''
      : `; pick is per pass, so variant ${r.variant} is picked on every instance, not only ${r.instance}`;
  const layout = r.method === 'reprinted' ? ' (the YAML was printed again; check its layout)' : '';
  return `${head}${scope}${layout}`;
}

function toJson(r: PickResult | ClearResult): Record<string, unknown> {
  return {
    file: r.file,
    pass: r.pass,
    variant: r.variant,
    previous: r.previous,
    changed: r.changed,
    instance: r.instance,
    sha256: r.sha256,
    method: r.method,
  };
}
