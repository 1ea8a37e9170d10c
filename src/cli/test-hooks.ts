/**
 * Crash-test hooks, honoured only when `KONTEXT_TEST_HOOKS=1`: `KONTEXT_TEST_CRASH_AT=<point>`
 * ends the process with SIGKILL (as `kill -9` would) the n-th time (`KONTEXT_TEST_CRASH_COUNT`,
 * default 1) a run reaches that point; `KONTEXT_TEST_PAUSE_AT=<point>` freezes the whole process
 * there the first time (as if the OS stopped scheduling it): it creates the file
 * `KONTEXT_TEST_PAUSE_FILE` and goes on once the test removes it, so a test can run another
 * process exactly in that window. Of a submit: `after-intent`, `submit-refused-marked` (an attempt
 * refused, the intent rewritten as such, the next attempt not sent), `after-submit-sent`,
 * `after-submit-response`, `request-id-temp-written` (the entry with its request id complete in its
 * temp, not renamed over the intent), `after-request-id`. Of a download and what follows it:
 * `download-part-written` (the bytes complete in a `.part` temp, not renamed), `download-in-temp`
 * (renamed to the store's temp name, not adopted), `after-blob` (adopted, no record),
 * `after-record`, `output-temp-written` (the out/ copy in its temp, not renamed), `output-renamed`
 * (in out/, not in the lock), `lock-temp-written` (the new lock in its temp, not renamed),
 * `lock-renamed` (the new lock in place, journal entries not yet dropped). Of a cache hit:
 * `cache-hit` (its record read and marked used, its blob not yet copied out). Of `kontext gc`:
 * `gc-started` (its mutex held, nothing read yet), `gc-roots-read` (the cache scanned, the
 * journal and the lock files read, nothing removed yet). Of `kontext pick`: `pick-checked` (its
 * mutex held, the recipe read again and unchanged, the new text not yet renamed over it). Of
 * `kontext report` (and the served page's builds): `report-mutex-held` (the report folder's mutex
 * taken, nothing collected yet), `report-index-written` (its page in place, the images it does not
 * show not yet pruned). Of `kontext merge-lock`: `merge-lock-temp-written` (the merge complete in
 * its temp beside `%A`, fsynced, not renamed). Of a run that resolves a conflicted lock:
 * `lock-resolved-temp-written` (the merged lock complete in its temp, not renamed over the
 * conflicted file). `KONTEXT_TEST_THROW_AT=<point>` throws a plain `Error` at a point instead (a
 * bug in kontext's own code), the first `KONTEXT_TEST_THROW_COUNT` times (default 1). Library code
 * only calls `rt.crashPoint`. `KONTEXT_TEST_SIGNAL_AT_LAUNCH=SIGINT|SIGTERM|SIGHUP` (launch.ts): the
 * process sends itself that signal as it starts loading `main`.
 */
import { existsSync, writeFileSync } from 'node:fs';
import type { Runtime } from '../index.js';

const POINTS = [
  'after-intent',
  'submit-refused-marked',
  'after-submit-sent',
  'after-submit-response',
  'request-id-temp-written',
  'after-request-id',
  'download-part-written',
  'download-in-temp',
  'after-blob',
  'after-record',
  'output-temp-written',
  'output-renamed',
  'lock-temp-written',
  'lock-renamed',
  'cache-hit',
  'gc-started',
  'gc-roots-read',
  'pick-checked',
  'report-mutex-held',
  'report-index-written',
  'merge-lock-temp-written',
  'lock-resolved-temp-written',
] as const;

export function withTestHooks(rt: Runtime, kill: () => void): Runtime {
  if (rt.env['KONTEXT_TEST_HOOKS'] !== '1') return rt;
  const at = point(rt, 'KONTEXT_TEST_CRASH_AT');
  const pauseAt = point(rt, 'KONTEXT_TEST_PAUSE_AT');
  const throwAt = point(rt, 'KONTEXT_TEST_THROW_AT');
  const pauseFile = rt.env['KONTEXT_TEST_PAUSE_FILE'];
  if (pauseAt !== null && (pauseFile === undefined || pauseFile === ''))
    throw new Error('KONTEXT_TEST_PAUSE_AT needs KONTEXT_TEST_PAUSE_FILE');
  if (at === null && pauseAt === null && throwAt === null) return rt;
  let left = count(rt, 'KONTEXT_TEST_CRASH_COUNT');
  let throws = count(rt, 'KONTEXT_TEST_THROW_COUNT');
  let paused = false;
  return {
    ...rt,
    crashPoint: (reached) => {
      if (reached === pauseAt && !paused && pauseFile !== undefined) {
        paused = true;
        pauseUntilRemoved(pauseFile);
      }
      if (reached === throwAt && throws > 0) {
        throws -= 1;
        throw new Error(`test hook: thrown at ${reached}`);
      }
      if (reached !== at) return;
      left -= 1;
      if (left === 0) kill();
    },
  };
}

function count(rt: Runtime, name: string): number {
  return Math.max(1, Number.parseInt(rt.env[name] ?? '1', 10) || 1);
}

function point(rt: Runtime, name: string): string | null {
  const value = rt.env[name];
  if (value === undefined || value === '') return null;
  if (!(POINTS as readonly string[]).includes(value))
    throw new Error(`${name}=${value}: not one of ${POINTS.join(', ')}`);
  return value;
}

/** Block the whole process (timers and I/O callbacks included) until `file` is gone. */
function pauseUntilRemoved(file: string): void {
  writeFileSync(file, `${process.pid}\n`);
  const cell = new Int32Array(new SharedArrayBuffer(4));
  while (existsSync(file)) Atomics.wait(cell, 0, 0, 10);
}
