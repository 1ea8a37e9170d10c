/**
 * Crash-test hooks, honoured only when `KONTEXT_TEST_HOOKS=1`: `KONTEXT_TEST_CRASH_AT=<point>`
 * ends the process with SIGKILL (as `kill -9` would) the n-th time (`KONTEXT_TEST_CRASH_COUNT`,
 * default 1) a run reaches that point. Of a submit: `after-intent`, `after-submit-sent`,
 * `after-submit-response`, `after-request-id`. Of a download and what follows it:
 * `download-part-written` (the bytes complete in a `.part` temp, not renamed), `download-in-temp`
 * (renamed to the store's temp name, not adopted), `after-blob` (adopted, no record),
 * `after-record`, `output-temp-written` (the out/ copy in its temp, not renamed), `output-renamed`
 * (in out/, not in the lock), `lock-temp-written` (the new lock in its temp, not renamed),
 * `lock-renamed` (the new lock in place, journal entries not yet dropped). Library code only
 * calls `rt.crashPoint`.
 */
import type { Runtime } from '../index.js';

const CRASH_POINTS = [
  'after-intent',
  'after-submit-sent',
  'after-submit-response',
  'after-request-id',
  'download-part-written',
  'download-in-temp',
  'after-blob',
  'after-record',
  'output-temp-written',
  'output-renamed',
  'lock-temp-written',
  'lock-renamed',
] as const;

export function withTestHooks(rt: Runtime, kill: () => void): Runtime {
  const at = rt.env['KONTEXT_TEST_CRASH_AT'];
  if (rt.env['KONTEXT_TEST_HOOKS'] !== '1' || at === undefined || at === '') return rt;
  if (!(CRASH_POINTS as readonly string[]).includes(at))
    throw new Error(`KONTEXT_TEST_CRASH_AT=${at}: not one of ${CRASH_POINTS.join(', ')}`);
  let left = Math.max(1, Number.parseInt(rt.env['KONTEXT_TEST_CRASH_COUNT'] ?? '1', 10) || 1);
  return {
    ...rt,
    crashPoint: (point) => {
      if (point !== at) return;
      left -= 1;
      if (left === 0) kill();
    },
  };
}
