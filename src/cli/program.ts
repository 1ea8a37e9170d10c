/**
 * The whole command line as commander defines it: one definer per command, each importing its
 * command's module lazily inside its action, so `kontext --help` and `--version` load almost
 * nothing. main.ts parses with it and runs the action chosen.
 */
import { Command, Help, Option } from 'commander';
import { PROVIDER_NAMES, type Runtime } from '../index.js';
import type { CliContext } from './context.js';
import { BARE, collectSelection } from './selection-values.js';
import { HELP_LAYOUT, helpWidth } from './help-layout.js';
import { VERSION } from './version.js';

/** A command's action, run by main.ts once the whole line parsed. */
export type Action = (ctx: CliContext) => Promise<number>;

const HELP_EPILOGUE = `
Examples:
  kontext validate recipes/*.yml         check recipes (file:line:col errors)
  kontext plan recipe.yml --format mermaid
  kontext run recipe.yml -j 8 --explain  run what changed, saying why
  kontext run --watch recipe.yml         re-run as the recipe or images change
  kontext status recipe.yml --exit-code  what would run, and why (exit 1 if any)
  kontext report recipe.yml --open       a review sheet of every output
  kontext edit --image photo.jpg -o red.png --prompt "Make the jacket red."
  kontext emulator                       an emulated RunComfy API (no account)
  kontext pick recipe.yml bag#2          later passes take only bag's variant 2
  kontext pick recipe.yml bag --clear    un-pick: every variant again
  kontext clean recipe.yml --dry-run     list what removed passes left behind
  kontext gc --older-than 30d            prune the cache (keeps what locks need)
  kontext push recipe.yml                upload results paid before the remote

Exit codes: 0 ok · 1 a pass failed remotely · 64 usage ·
65 invalid recipe or input rejected · 66 source missing ·
69 upstream unavailable · 70 internal error · 73 cannot write output ·
75 temporary failure · 77 not signed in · 130 interrupted`;

/**
 * The whole command line as commander defines it; `choose` receives the action of the command
 * parsed. Exported for the docs test that holds README.md and docs/ci.md to these flags.
 */
export function buildProgram(rt: Runtime, choose: (a: Action) => void): Command {
  const program = new Command('kontext')
    .description('Reproducible image-edit pipelines on Flux Kontext: YAML recipes run as a DAG.')
    .version(VERSION, '-V, --version')
    .option('--debug', 'print stack traces for errors')
    .showHelpAfterError('(run `kontext --help` for usage)')
    .addHelpText('after', HELP_EPILOGUE)
    .exitOverride()
    .configureHelp(HELP_LAYOUT)
    .configureOutput({
      writeOut: (s) => rt.stdout.write(s),
      writeErr: (s) => rt.stderr.write(s),
      getOutHelpWidth: () => helpWidth(rt.stdout),
      getErrHelpWidth: () => helpWidth(rt.stderr),
    });
  program.addCommand(validateCommand(choose));
  program.addCommand(planCommand(choose));
  program.addCommand(runCommand(choose));
  program.addCommand(statusCommand(choose));
  program.addCommand(reportCommand(choose));
  program.addCommand(editCommand(choose));
  program.addCommand(emulatorCommand(choose));
  program.addCommand(pickCommand(choose));
  program.addCommand(cleanCommand(choose));
  program.addCommand(pushCommand(choose));
  program.addCommand(gcCommand(choose));
  program.addCommand(mergeLockCommand(choose));
  program.addCommand(providersCommand(choose));
  for (const c of program.commands) {
    c.exitOverride()
      .configureHelp({ ...HELP_LAYOUT, ...c.configureHelp() })
      .configureOutput(program.configureOutput())
      .showHelpAfterError(`(run \`kontext ${c.name()} --help\` for usage)`);
  }
  return program;
}

function validateCommand(choose: (a: Action) => void): Command {
  return new Command('validate')
    .description('check recipes: schema, references, paths, sources, prompt lint')
    .argument('<recipe...>', 'recipe files')
    .option('--json', 'print the result as JSON')
    .option('--strict', 'treat prompt-lint warnings as errors')
    .option('--allow-outside-root', 'allow output paths outside the project root')
    .action((recipes: string[], opts: Record<string, unknown>) => {
      choose(async (ctx) => (await import('./commands/validate.js')).validateCommand(recipes, opts, ctx));
    });
}

function planCommand(choose: (a: Action) => void): Command {
  return new Command('plan')
    .description('print the DAG a recipe resolves to')
    .argument('<recipe>', 'recipe file')
    .option('--json', 'same as --format json')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'mermaid']))
    .option('--strict', 'treat prompt-lint warnings as errors')
    .option('--allow-outside-root', 'allow output paths outside the project root')
    .action((recipe: string, opts: Record<string, unknown>) => {
      choose(async (ctx) => (await import('./commands/plan.js')).planCommand(recipe, opts, ctx));
    });
}

/** Commander's notes on each option, but not a bare --force/--reseed's preset (BARE: how it is parsed). */
const WITHOUT_PRESET = {
  optionDescription: (o: Option): string => (o.presetArg === BARE ? o.description : new Help().optionDescription(o)),
};

function runCommand(choose: (a: Action) => void): Command {
  return new Command('run')
    .description('run recipes: only what changed is submitted; results go to out/ and the lock file')
    .configureHelp(WITHOUT_PRESET)
    .argument('[recipe...]', 'recipe files')
    .option('-j, --jobs <n>', 'concurrent remote requests', '4')
    .addOption(new Option('--provider <name>', 'run every pass on this provider').choices(PROVIDER_NAMES))
    .addOption(new Option('--hosting <mode>', 'how local images reach the API').choices(['inline', 's3', 'command']))
    .option(
      '--trust-recipe-hosting',
      "use the recipe's own hosting block (command, S3 bucket or endpoint): read it first, it decides where images go",
    )
    .addOption(new Option('--trust-hosting-command', 'old name of --trust-recipe-hosting').hideHelp())
    .option('--dry-run', 'show the plan with each node state and the billable requests; submit nothing')
    .option('--explain', 'say why each node will run')
    .option('--only <nodes>', 'run only these nodes (and what they need, from cache when up to date)', collectSelection)
    .addOption(
      new Option('--force [nodes]', 'ignore the cache for just these nodes (alone: the --only nodes, else all)')
        .preset(BARE)
        .argParser(collectSelection),
    )
    .addOption(
      new Option('--reseed [nodes]', 'draw new seeds for just these nodes (alone: the --only nodes, else all)')
        .preset(BARE)
        .argParser(collectSelection),
    )
    .option('--keep-going', 'after a failure, run everything not downstream of it')
    .option('--overwrite', 'replace outputs changed by hand (by default they are kept and the node fails)')
    .option('--resubmit-uncertain', 'submit again nodes whose earlier request may be paid but is unsettled (same seed)')
    .option('--watch', 'keep running: re-run what changes when the recipe or its sources change')
    .option('--serve', 'with --watch: serve the live review sheet on 127.0.0.1 (prints the URL)')
    .option('--port <n>', 'with --serve: the port (default 4780, else any free one)')
    .option('--shard <i/n>', 'CI: run only share i of n of the source instances (results go to the caches)')
    .option(
      '--frozen',
      'CI: fail (exit 65) instead of submitting anything the lock and caches cannot satisfy, or of ' +
        'rewriting a lock with git conflict markers (a plain run merges it)',
    )
    .option('--json', 'print one JSON event per line (NDJSON)')
    .option(
      '--cache-dir <dir>',
      'cache folder (default $XDG_CACHE_HOME/kontext, else ~/.cache/kontext; env KONTEXT_CACHE_DIR)',
    )
    .option(
      '--max-cost <usd>',
      'abort before submitting when the billable total (of all the recipes given) exceeds this ' +
        "(default: KONTEXT_MAX_COST, else the user config's max_cost)",
    )
    .option('--no-max-cost', "no limit for this command: not KONTEXT_MAX_COST's, nor the user config's max_cost")
    .option('--no-remote', 'do not use the remote cache (cache.remote, KONTEXT_REMOTE_CACHE) for this run')
    .option('--strict', 'treat prompt-lint warnings as errors')
    .option('--allow-outside-root', 'allow output paths outside the project root')
    .action((recipes: string[], opts: Record<string, unknown>) => {
      choose(async (ctx) => (await import('./commands/run.js')).runCommand(recipes, opts, ctx));
    });
}

function statusCommand(choose: (a: Action) => void): Command {
  return new Command('status')
    .description(
      'what a run would do: up to date, will run (and why), outputs modified or missing, orphans, ' +
        'a lock with git conflicts to merge',
    )
    .argument('<recipe>', 'recipe file')
    .option(
      '--exit-code',
      'exit 1 when a run would do anything (pay, download, restore from a cache, merge a conflicted lock, ' +
        'or stop at an output changed by hand); --json says how many requests it would pay for (billable)',
    )
    .option('--json', 'print one JSON object')
    .addOption(new Option('--provider <name>', 'run every pass on this provider').choices(PROVIDER_NAMES))
    .option('--cache-dir <dir>', 'cache folder (default: the one `kontext run` uses; env KONTEXT_CACHE_DIR)')
    .option('--strict', 'treat prompt-lint warnings as errors')
    .option('--allow-outside-root', 'allow output paths outside the project root')
    .option('--no-remote', 'do not ask the remote cache (KONTEXT_REMOTE_CACHE, cache.remote)')
    .action((recipe: string, opts: Record<string, unknown>) => {
      choose(async (ctx) => (await import('./commands/status.js')).statusCommand(recipe, opts, ctx));
    });
}

function reportCommand(choose: (a: Action) => void): Command {
  return new Command('report')
    .description(
      'write a review sheet of the outputs to <out>/report/index.html (local state, and what the remote cache ' +
        'holds; never submits)',
    )
    .argument('<recipe>', 'recipe file')
    .option('--open', 'open it in the browser (xdg-open, open or start; else print the path)')
    .option('--json', 'print the result as JSON')
    .option('--cache-dir <dir>', 'cache folder (default: the one `kontext run` uses; env KONTEXT_CACHE_DIR)')
    .option('--strict', 'treat prompt-lint warnings as errors')
    .option('--allow-outside-root', 'allow output paths outside the project root')
    .addOption(
      new Option(
        '--fetch-remote',
        'download the results only the remote cache has (sha256-checked, no request) so the page shows them',
      ).conflicts('remote'),
    )
    .option('--no-remote', 'do not ask the remote cache (KONTEXT_REMOTE_CACHE, cache.remote)')
    .action((recipe: string, opts: Record<string, unknown>) => {
      choose(async (ctx) => (await import('./commands/report.js')).reportCommand(recipe, opts, ctx));
    });
}

function editCommand(choose: (a: Action) => void): Command {
  return new Command('edit')
    .description('one quick edit of one image, with the same cache, retries and hosting')
    .requiredOption('--image <path|url>', 'input image: a local file or an https URL')
    .requiredOption('--prompt <text>', 'the edit instruction')
    .option('--seed <n>', 'seed (drawn when omitted)')
    .option('--aspect-ratio <ratio>', 'e.g. 3:4')
    .option(
      '-o, --output <file|dir/>',
      'where to write the result (a folder: <image>-edited.png in it); a file already there is kept unless --overwrite',
    )
    .addOption(new Option('--provider <name>', 'provider').choices(PROVIDER_NAMES).default('runcomfy'))
    .addOption(new Option('--hosting <mode>', 'how a local image reaches the API').choices(['inline', 's3', 'command']))
    .option('--cache-dir <dir>', 'cache folder')
    .option('--json', 'print NDJSON events')
    .option('--strict', 'treat prompt-lint warnings as errors')
    .option('--overwrite', 'replace a file already at the output path')
    .option(
      '--resubmit-uncertain',
      'submit again an edit whose earlier request may be paid but is unsettled (same seed)',
    )
    .option(
      '--no-remote',
      "do not use the remote cache (KONTEXT_REMOTE_CACHE, the user config's cache.remote) for this edit",
    )
    .action((opts: Record<string, unknown>) => {
      choose(async (ctx) => (await import('./commands/edit.js')).editCommand(opts, ctx));
    });
}

function emulatorCommand(choose: (a: Action) => void): Command {
  return new Command('emulator')
    .description('start the RunComfy-compatible emulator (Ctrl-C stops it)')
    .option('--port <n>', 'port (0 = any free port)', '0')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--queue-ms <n>', 'time each request spends queued')
    .option('--run-ms <n>', 'time each request spends running')
    .option('--fault-rate <x>', 'probability of a random transient fault per call (0..1)')
    .option('--fault-seed <n>', 'seed for the random faults')
    .option('--scenario <file>', 'JSON fault scenario file')
    .option('--price <usd>', 'price per request reported by model info')
    .action((opts: Record<string, unknown>) => {
      choose(async (ctx) => (await import('./commands/emulator-cli.js')).emulatorCli(opts, ctx));
    });
}

function pickCommand(choose: (a: Action) => void): Command {
  return new Command('pick')
    .description('choose one variant: write pick: <k> into its pass, so the passes after it take only that one')
    .argument('<recipe>', 'recipe file')
    .argument('<node>', 'a variant node id: <pass>#<k> or <pass>@<instance>#<k> (the pick is per pass)')
    .option('--clear', 'un-pick: remove pick: from the pass <node> names, so the passes after it take every variant')
    .option('--json', 'print the result as JSON')
    .action((recipe: string, node: string, opts: Record<string, unknown>) => {
      choose(async (ctx) => (await import('./commands/pick.js')).pickCommand(recipe, node, opts, ctx));
    });
}

function cleanCommand(choose: (a: Action) => void): Command {
  return new Command('clean')
    .description('remove outputs and lock entries of nodes no longer in the recipe')
    .argument('<recipe>', 'recipe file')
    .option('--dry-run', 'print what would be removed; change nothing')
    .option('--json', 'print the result as JSON')
    .option('--allow-outside-root', 'allow output paths outside the project root')
    .option('--no-remote', 'do not ask the remote cache (KONTEXT_REMOTE_CACHE, cache.remote)')
    .option('--cache-dir <dir>', 'cache folder (default: the one `kontext run` uses; env KONTEXT_CACHE_DIR)')
    .action((recipe: string, opts: Record<string, unknown>) => {
      choose(async (ctx) => (await import('./commands/clean.js')).cleanCommand(recipe, opts, ctx));
    });
}

function pushCommand(choose: (a: Action) => void): Command {
  return new Command('push')
    .description('send the results a run would take as up to date (local cache, or lock + out/) to the remote cache')
    .argument('<recipe>', 'recipe file')
    .option('--dry-run', 'ask the remote what it lacks; send nothing')
    .option('--json', 'print the result as JSON')
    .addOption(new Option('--provider <name>', 'run every pass on this provider').choices(PROVIDER_NAMES))
    .option('--cache-dir <dir>', 'cache folder (default: the one `kontext run` uses; env KONTEXT_CACHE_DIR)')
    .option('--allow-outside-root', 'allow output paths outside the project root')
    .option('--trust-recipe-hosting', "push to the remote cache the recipe names (cache.remote), not only the user's")
    .action((recipe: string, opts: Record<string, unknown>) => {
      choose(async (ctx) => (await import('./commands/push.js')).pushCommand(recipe, opts, ctx));
    });
}

function providersCommand(choose: (a: Action) => void): Command {
  return new Command('providers')
    .description('list providers, their models and prices, and which credentials are set (never their values)')
    .option('--json', 'print one JSON object')
    .action((opts: Record<string, unknown>) => {
      choose(async (ctx) => (await import('./commands/providers.js')).providersCommand(opts, ctx));
    });
}

function mergeLockCommand(choose: (a: Action) => void): Command {
  return new Command('merge-lock')
    .description(
      'git merge driver for lock files: per node, the side whose output the file holds, else the cache, ' +
        'else ours; a node both sides changed to different requests, or whose output git tracks, left ' +
        'conflicted for `kontext run` (exit 1) (.gitattributes: *.lock.json merge=kontext; driver: ' +
        'kontext merge-lock %O %A %B %P; recursive: binary)',
    )
    .argument('<base>', "the common ancestor's version (git's %O)")
    .argument('<ours>', 'our version; the merge is written here (%A)')
    .argument('<theirs>', 'their version (%B)')
    .argument('[path]', "the lock's path in the work tree (%P): its outputs decide")
    .option('--cache-dir <dir>', 'cache folder (default: the one `kontext run` uses; env KONTEXT_CACHE_DIR)')
    .action((base: string, ours: string, theirs: string, path: string | undefined, opts: Record<string, unknown>) => {
      choose(async (ctx) =>
        (await import('./commands/merge-lock.js')).mergeLockCommand({ base, ours, theirs, path }, opts, ctx),
      );
    });
}

function gcCommand(choose: (a: Action) => void): Command {
  return new Command('gc')
    .description('prune the cache by age and/or size, keeping what lock files and the journal need')
    .option('--older-than <duration>', 'remove entries not used for this long: 30d, 12h, 90m')
    .option('--max-size <size>', 'then remove least recently used entries down to this size: 500MB, 2GB, 1.5GiB')
    .option('--project <dir...>', 'folders whose *.lock.json files protect entries (default: the project root)')
    .option('--dry-run', 'print what would be removed; change nothing')
    .option('--json', 'print the result as JSON')
    .option('--cache-dir <dir>', 'cache folder (default: the one `kontext run` uses; env KONTEXT_CACHE_DIR)')
    .action((opts: Record<string, unknown>) => {
      choose(async (ctx) => (await import('./commands/gc.js')).gcCommand(opts, ctx));
    });
}
