#!/usr/bin/env node
/**
 * The process-facing entry point: hands argv and the real process to `main`, sets the exit code.
 * `--version` and `--help` are answered before anything else loads; commands load lazily.
 */
import { fastAnswer } from './fast-path.js';

const argv = process.argv.slice(2);
const quick = fastAnswer(argv);
if (quick !== null) {
  process.stdout.write(quick);
} else {
  // The AWS SDK (s3 hosting) warns on every Node 20 start that its 2027 releases need Node 22.
  // That is for us (the lock pins a version that supports 20), not for the person running a recipe.
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

  // `kontext run --json | head`: a closed pipe is the reader saying "enough", not a crash.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw e;
    });
  }

  const { main } = await import('./main.js');
  process.exitCode = await main(argv, { process });
}
