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
 * it also gets the plain reporter: reporter-for.ts); `FORCE_COLOR` asks for it anyway.
 */
export function wantsColor(rt: Runtime): boolean {
  const noColor = rt.env['NO_COLOR'];
  if (noColor !== undefined && noColor !== '') return false;
  if (rt.env['FORCE_COLOR'] && rt.env['FORCE_COLOR'] !== '0') return true;
  if (rt.env['TERM'] === 'dumb') return false;
  return rt.stderr.isTTY === true;
}
