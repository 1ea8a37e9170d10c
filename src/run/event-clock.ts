/**
 * The run's clock on `warning` and `notice` events. Those are made in many places that know no
 * clock (the run context, the remote cache, the provider session, a shard's or a lock merge's
 * notes): they carry `t: 0`. Every event of a run passes through here: once its `run-start` (the
 * scheduler's start, t 0) has gone by, such an event gets `t`, the ms since then, as every other
 * event has. One said before it (loading, planning, the preflight: no run yet) keeps `t: 0`. In
 * watch mode each cycle has a stamp of its own (watch-session.ts), so one said while a later cycle
 * plans is `t: 0` too, not the ms since an earlier cycle's run started.
 */
import type { RunEvent } from './events.js';

export function stampWarnings(onEvent: (event: RunEvent) => void, now: () => number): (event: RunEvent) => void {
  let startedAt: number | null = null;
  return (event) => {
    if (event.type === 'run-start') startedAt = now() - event.t;
    else if ((event.type === 'warning' || event.type === 'notice') && event.t === 0 && startedAt !== null)
      return onEvent({ ...event, t: now() - startedAt });
    return onEvent(event);
  };
}
