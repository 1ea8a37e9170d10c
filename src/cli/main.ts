/**
 * Runs one command of the commander program (program.ts), whose commands are imported lazily
 * inside their actions so `kontext --help` and `--version` load almost nothing.
 * Returns the exit code; never calls process.exit except on a second Ctrl-C.
 */
import { setMaxListeners } from 'node:events';
import { type Command, CommanderError } from 'commander';
import { createRuntime, type Runtime } from '../index.js';
import { InterruptedError } from '../index.js';
import { withTestHooks } from './test-hooks.js';
import { OUTPUT_CLOSED } from './output-closed.js';
import { takeEarlySignal } from './early-signals.js';
import { wantsColor, type CliContext } from './context.js';
import { errorJson, renderError, secretsFromEnv } from './render-error.js';
import { jsonText } from './json-text.js';
import { type Action, buildProgram } from './program.js';

type Proc = Pick<NodeJS.Process, 'on' | 'off' | 'exit'>;

export interface MainOptions {
  /** The real process (signals); omitted in tests that call `main` directly. */
  readonly process?: Proc;
  readonly rt?: Runtime;
}

export async function main(argv: readonly string[], options: MainOptions = {}): Promise<number> {
  const base = options.rt ?? createRuntime();
  // Crash tests (KONTEXT_TEST_HOOKS=1) may end the real process at a named point (cli/test-hooks.ts).
  const rt = options.process ? withTestHooks(base, () => process.kill(process.pid, 'SIGKILL')) : base;
  const interrupt = new AbortController();
  setMaxListeners(0, interrupt.signal);
  const say = (line: string): void => {
    rt.stderr.write(`${line}\n`);
  };
  const detach = options.process ? attachSignals(options.process, interrupt, say) : () => undefined;
  let chosen: Action | undefined;
  const program = buildProgram(rt, (a) => {
    chosen = a;
  });
  // Whether the command parsed asked for JSON (`--json`, `--format json`), as commander read it:
  // not a `--json` that is an option's value (`edit --prompt --json`), nor one a later flag undid.
  let parsedJson: boolean | undefined;
  program.hook('preAction', (_program, command) => {
    const opts = command.opts<{ json?: unknown; format?: unknown }>();
    parsedJson = opts.json === true || opts.format === 'json';
  });
  const debug = argv.includes('--debug');
  try {
    await program.parseAsync([...argv], { from: 'user' });
    if (!chosen) return 0;
    const ctx: CliContext = { rt, flags: { debug, color: wantsColor(rt) }, signal: interrupt.signal };
    return await chosen(ctx);
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.exitCode === 0) return 0;
      // A usage error (an unknown option, a missing argument): the command line never parsed, so
      // the words on it decide whether JSON was asked for.
      if (wantsJson(argv, program)) rt.stdout.write(`${jsonText(usageJson(e.message.replace(/^error: /, '')))}\n`);
      return 64;
    }
    const secrets = secretsFromEnv(rt.env);
    const rendered = renderError(e, { debug, secrets, cwd: rt.cwd });
    for (const line of rendered.lines) rt.stderr.write(`${line}\n`);
    // A command asked for JSON prints its failure as JSON too: stdout is never left empty.
    if (parsedJson ?? wantsJson(argv, program))
      rt.stdout.write(`${jsonText(errorJson(e, { secrets, cwd: rt.cwd }))}\n`);
    return rendered.exitCode;
  } finally {
    detach();
  }
}

/** A usage error commander found, as `errorJson` says an error. */
function usageJson(problem: string): { type: 'error'; code: string; exit_code: number; problems: string[] } {
  return { type: 'error', code: 'E_USAGE', exit_code: 64, problems: [problem] };
}

/** `--json`, or `plan`'s `--format json` (either spelling), on a command line commander refused. */
function wantsJson(argv: readonly string[], program: Command): boolean {
  // The words after an option that takes a value are that value (`edit --prompt --json`), not flags.
  const command = program.commands.find((c) => c.name() === argv[0] || c.aliases().includes(argv[0] ?? ''));
  const takesValue = new Set<string>();
  for (const o of command?.options ?? [])
    if (o.required || o.optional) for (const flag of [o.long, o.short]) if (flag) takesValue.add(flag);
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--json' || a === '--format=json' || (a === '--format' && argv[i + 1] === 'json')) return true;
    if (takesValue.has(a)) i++;
  }
  return false;
}

/** Said on a second signal, before exiting at once (nothing else is said then). */
const SECOND_SIGNAL =
  'kontext: interrupted again: exiting now, without waiting for submits still on the wire; one the ' +
  'API accepted meanwhile left no request id, and the next run reports it as maybe paid (exit 75)';

/**
 * What ended a command, as its interruption says (`cause`) and as a warning says "… after `by`":
 * only a SIGINT is Ctrl-C; a SIGTERM is a CI cancel, `timeout` or `docker stop` (walk-ai 4).
 */
const SIGNAL_CAUSE: Partial<Record<NodeJS.Signals, { readonly cause: string; readonly by: string }>> = {
  SIGINT: { cause: 'Ctrl-C', by: 'Ctrl-C' },
  SIGTERM: { cause: 'SIGTERM', by: 'the interrupt (SIGTERM)' },
  SIGHUP: { cause: 'the terminal closing (SIGHUP)', by: 'the interrupt (SIGHUP)' },
};

/** The interruption a first `signal` aborts the command with. */
export function interruptionBy(signal: NodeJS.Signals): InterruptedError {
  const known = SIGNAL_CAUSE[signal];
  return new InterruptedError(`interrupted by ${known?.cause ?? signal}`, {
    by: known?.by ?? `the interrupt (${signal})`,
  });
}

/**
 * First SIGINT, SIGTERM or SIGHUP (the terminal closed), or the output's reader gone (a closed
 * pipe, launch.ts): abort (commands wind down and exit 130: a submit on the wire is let finish
 * and journaled, queued requests are cancelled). Node's default for SIGHUP is to die at once,
 * leaving such a submit "maybe paid". A second signal: exit 130 at once, saying what that leaves.
 */
function attachSignals(proc: Proc, interrupt: AbortController, say: (line: string) => void): () => void {
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupt.signal.aborted) {
      say(SECOND_SIGNAL);
      proc.exit(130);
    }
    interrupt.abort(interruptionBy(signal));
  };
  const onClosed = (): void => {
    if (!interrupt.signal.aborted)
      interrupt.abort(
        new InterruptedError('interrupted: its output was closed', { by: 'the interrupt (its output was closed)' }),
      );
  };
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const s of signals) proc.on(s, onSignal);
  proc.on(OUTPUT_CLOSED, onClosed);
  // One that came while the CLI was loading (launch.ts kept it): the command starts interrupted.
  const early = takeEarlySignal();
  if (early !== undefined) onSignal(early);
  return () => {
    for (const s of signals) proc.off(s, onSignal);
    proc.off(OUTPUT_CLOSED, onClosed);
  };
}
