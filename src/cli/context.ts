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
 * it also gets the plain reporter: reporter-for.ts); `FORCE_COLOR` asks for it anyway (`0` or
 * `false`: never).
 */
export function wantsColor(rt: Runtime): boolean {
  const noColor = rt.env['NO_COLOR'];
  if (noColor !== undefined && noColor !== '') return false;
  // As Node's own tty.getColorDepth reads it: `0` or `false` forces colour off, any other value on.
  const force = rt.env['FORCE_COLOR'];
  if (force === '0' || force === 'false') return false;
  if (force !== undefined && force !== '') return true;
  if (rt.env['TERM'] === 'dumb') return false;
  return rt.stderr.isTTY === true;
}
