/**
 * What both CLI entry points do: answer `--version`/`--help` before anything loads, set up
 * the process, then load `main` (how is the entry point's choice) and run one command.
 */
import { holdEarlySignals } from './early-signals.js';
import { fastAnswer } from './fast-path.js';
import { OUTPUT_CLOSED } from './output-closed.js';
import type { main } from './main.js';

export interface LoadedMain {
  readonly main: typeof main;
  /** Called once the command has returned, with its exit code (the bundle saves its code cache then). */
  readonly done?: (exitCode: number) => void;
}

export async function launch(load: (argv: readonly string[]) => Promise<LoadedMain> | LoadedMain): Promise<void> {
  const argv = process.argv.slice(2);
  const quick = fastAnswer(argv);
  if (quick !== null) {
    process.stdout.write(quick);
    return;
  }
  holdEarlySignals(); // a Ctrl-C while main loads is kept for it (early-signals.ts)
  // Test hook (with KONTEXT_TEST_HOOKS=1, as cli/test-hooks.ts's): a signal to itself as it loads.
  const early = process.env['KONTEXT_TEST_HOOKS'] === '1' ? process.env['KONTEXT_TEST_SIGNAL_AT_LAUNCH'] : undefined;
  if (early === 'SIGINT' || early === 'SIGTERM' || early === 'SIGHUP') process.kill(process.pid, early);
  // The AWS SDK (s3 hosting) warns on every Node 20 start that its 2027 releases need Node 22.
  // That is for us (the lock pins a version that supports 20), not for the person running a recipe.
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

  // `kontext run --json | head`: a closed pipe is the reader saying "enough", not a crash. A
  // command winds down as at Ctrl-C (main.ts: a submit on the wire is let finish and journaled,
  // queued requests are cancelled), its later output going nowhere; exiting at once would leave
  // that submit "maybe paid". With no command listening, exit. A closed terminal (EIO on every
  // write after its SIGHUP) winds down the same way and must not be killed by its own output.
  let closed = false;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      // After the first: the output goes nowhere.
      if (closed && (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED')) return;
      if (e.code === 'EPIPE') {
        closed = true;
        if (!(process as NodeJS.EventEmitter).emit(OUTPUT_CLOSED)) process.exit(process.exitCode ?? 0);
        return;
      }
      if (e.code === 'EIO') return;
      throw e;
    });
  }

  const loaded = await load(argv);
  const exitCode = await loaded.main(argv, { process });
  process.exitCode = exitCode;
  loaded.done?.(exitCode);
}
