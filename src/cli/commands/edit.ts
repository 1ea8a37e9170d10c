/** `kontext edit --image PATH|URL --prompt "..." [--seed N] [--aspect-ratio R] [-o FILE]` */
import { escapeName, runEdit } from '../../index.js';
import type { HostingConfig, ProviderName } from '../../index.js';
import type { CliContext } from '../context.js';
import { intOption } from '../options.js';
import { reporterFor } from '../reporter-for.js';

export async function editCommand(opts: Record<string, unknown>, ctx: CliContext): Promise<number> {
  const json = opts['json'] === true;
  const { reporter, onEvent } = reporterFor(ctx, { json });
  try {
    const result = await runEdit(
      {
        image: String(opts['image']),
        prompt: String(opts['prompt']),
        seed: intOption('--seed', opts['seed'], 0, 4294967295),
        aspectRatio: typeof opts['aspectRatio'] === 'string' ? opts['aspectRatio'] : undefined,
        output: typeof opts['output'] === 'string' ? opts['output'] : undefined,
        provider: (opts['provider'] as ProviderName | undefined) ?? 'runcomfy',
        hosting: opts['hosting'] as HostingConfig['mode'] | undefined,
        cacheDir: typeof opts['cacheDir'] === 'string' ? opts['cacheDir'] : undefined,
        signal: ctx.signal,
        strict: opts['strict'] === true,
        overwrite: opts['overwrite'] === true,
        resubmitUncertain: opts['resubmitUncertain'] === true,
        noRemote: opts['remote'] === false,
      },
      { rt: ctx.rt, onEvent },
    );
    reporter.close();
    if (result.output !== null && !json) ctx.rt.stdout.write(`${escapeName(result.output)}\n`);
    return result.summary.exitCode;
  } catch (e) {
    reporter.close();
    throw e;
  }
}
