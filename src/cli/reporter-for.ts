/**
 * The reporter a command uses, chosen from the map by `--json` and whether stderr is a
 * terminal (human output goes to stderr; stdout stays for data). Human reporters see paths
 * relative to the working directory.
 */
import type { Reporter, RunEvent } from '../index.js';
import type { CliContext } from './context.js';
import { relativizeEvent } from './display-paths.js';
import { chooseReporterKind, createReporter } from './reporters/index.js';

export interface CommandReporter {
  readonly reporter: Reporter;
  readonly onEvent: (event: RunEvent) => void;
}

export function reporterFor(
  ctx: CliContext,
  options: { readonly json: boolean; readonly explain?: boolean },
): CommandReporter {
  const { rt } = ctx;
  const kind =
    rt.env['TERM'] === 'dumb' && !options.json
      ? 'plain'
      : chooseReporterKind({ json: options.json, isTTY: rt.stderr.isTTY === true });
  const reporter = createReporter(kind, {
    out: options.json ? rt.stdout : rt.stderr,
    err: rt.stderr,
    color: ctx.flags.color,
    now: rt.monotonic,
    // No terminal size here: the live view reads `err.columns` and `err.rows` at each redraw (a resize).
    explain: options.explain ?? false,
  });
  const onEvent = options.json
    ? (e: RunEvent) => reporter.onEvent(e)
    : (e: RunEvent) => reporter.onEvent(relativizeEvent(e, rt.cwd));
  return { reporter, onEvent };
}
