/**
 * What every command receives: the runtime, global flags, and the interrupt signal.
 * Built once by `main`; the only place that turns process signals into an AbortSignal.
 */
import type { Runtime } from '../index.js';

interface GlobalFlags {
  readonly debug: boolean;
  readonly color: boolean;
}

export interface CliContext {
  readonly rt: Runtime;
  readonly flags: GlobalFlags;
  /** Aborted on the first Ctrl-C (reason: InterruptedError). A second Ctrl-C exits at once. */
  readonly signal: AbortSignal;
}

/**
 * Whether colour is wanted: stderr (where people read progress) is a TTY, `NO_COLOR` not set
 * (https://no-color.org) and the terminal not `TERM=dumb` (one that shows escape codes as text;
 * it also gets the plain reporter: reporter-for.ts); `FORCE_COLOR` decides as Node reads it:
 * empty, `1`, `true`, `2` or `3` colour anyway, any other value (`0`, `false`) none.
 */
/** The `FORCE_COLOR` values that ask for colour (Node's `getColorDepth`). */
const FORCING = new Set(['', '1', 'true', '2', '3']);

export function wantsColor(rt: Runtime): boolean {
  const noColor = rt.env['NO_COLOR'];
  if (noColor !== undefined && noColor !== '') return false;
  // As Node's own tty.getColorDepth reads it: set to '', 1, true, 2 or 3, colour; to anything else, none.
  const force = rt.env['FORCE_COLOR'];
  if (force !== undefined) return FORCING.has(force);
  if (rt.env['TERM'] === 'dumb') return false;
  return rt.stderr.isTTY === true;
}
