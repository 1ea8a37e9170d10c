/**
 * A signal that comes while the CLI is still loading (its first ~100 ms, before `main` listens):
 * Node's default would end the process by the signal itself (no exit 130, nothing said). launch.ts
 * listens from the start and keeps the first such signal; `main` takes it once its own handlers
 * are on (main.ts's `attachSignals`), and the command winds down as at any interrupt. The state
 * lives on the process, not in this module: the bundled CLI loads `main` from its own bundle
 * (bin-bundle.ts), with its own copy of this module.
 */
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

interface Held {
  pending: NodeJS.Signals | undefined;
  readonly keep: (signal: NodeJS.Signals) => void;
}

const KEY = Symbol.for('kontext.early-signals');

function held(): Held | undefined {
  return (process as unknown as Record<symbol, Held | undefined>)[KEY];
}

/** Listen for signals until {@link takeEarlySignal}. */
export function holdEarlySignals(): void {
  if (held() !== undefined) return;
  const state: Held = {
    pending: undefined,
    keep: (signal) => {
      state.pending ??= signal;
    },
  };
  (process as unknown as Record<symbol, Held | undefined>)[KEY] = state;
  for (const s of SIGNALS) process.on(s, state.keep);
}

/** Stop listening (the caller listens now) and hand over the signal kept meanwhile, if any. */
export function takeEarlySignal(): NodeJS.Signals | undefined {
  const state = held();
  if (state === undefined) return undefined;
  for (const s of SIGNALS) process.off(s, state.keep);
  (process as unknown as Record<symbol, Held | undefined>)[KEY] = undefined;
  return state.pending;
}
