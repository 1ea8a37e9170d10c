/** Typed errors of the emulator (rendered by `src/cli`, like every KontextError). */
import { z } from 'zod';
import { ExitCode, KontextError, type SourceLocation } from '../errors.js';
import { Scenario } from './scenario.js';

/** A fault scenario failed validation (a `--scenario` file, `setScenario`, or the options). */
export class ScenarioError extends KontextError {
  override readonly name = 'ScenarioError';
  /** The JSON path of the first problem, when validation found it (a file's reader locates it). */
  readonly at: readonly PropertyKey[] | undefined;
  constructor(
    message: string,
    options: { cause?: unknown; hint?: string; at?: readonly PropertyKey[]; location?: SourceLocation } = {},
  ) {
    super('E_EMULATOR_SCENARIO', message, {
      exitCode: ExitCode.USAGE,
      hint: options.hint ?? 'see the scenario format in the README (emulator section)',
      cause: options.cause,
      location: options.location,
    });
    this.at = options.at;
  }
}

/**
 * A host that no interface of this machine has: a name that does not resolve (ENOTFOUND,
 * `999.1.1.1`) or an address that is not here (EADDRNOTAVAIL). Another --port would not help.
 */
const BAD_HOST = new Set(['ENOTFOUND', 'EADDRNOTAVAIL']);

/** The server could not listen: port in use or not allowed (exit 69), or a bad `--host` (a usage error, 64). */
export class EmulatorListenError extends KontextError {
  override readonly name = 'EmulatorListenError';
  constructor(message: string, options: { cause?: unknown; host?: string } = {}) {
    const badHost = BAD_HOST.has(String((options.cause as NodeJS.ErrnoException | undefined)?.code));
    super(
      'E_EMULATOR_LISTEN',
      badHost ? `${message} (--host ${options.host ?? ''} is not an address of this machine)` : message,
      {
        exitCode: badHost ? ExitCode.USAGE : ExitCode.UNAVAILABLE,
        hint: badHost
          ? 'pass --host 127.0.0.1 (this machine only, the default), 0.0.0.0 (every interface) or an address one of ' +
            'its interfaces has'
          : 'choose another --port, or 0 for any free port',
        cause: options.cause,
      },
    );
  }
}

/** Validate a scenario; the message lists every problem on one line. */
export function parseScenario(input: unknown): Scenario {
  const parsed = Scenario.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new ScenarioError(`invalid emulator scenario: ${z.prettifyError(parsed.error).replace(/\n\s*/g, '; ')}`, {
    cause: parsed.error,
    at: parsed.error.issues[0]?.path,
  });
}
