/**
 * `--json`: one NDJSON line per event on `out` and nothing else there, so `kontext run
 * --json | jq` always parses. The event shape is the zod `RunEvent` schema (validated in
 * tests, not per event: the hot path is a 10,000-node re-run). Free text is URL-scrubbed.
 * Server text is kept as data: JSON escapes C0 controls, and DEL, C1, bidi controls and
 * invisible characters are escaped here too (`\u202e`: the same string once parsed), so a line
 * shown on a terminal carries no raw control character and shows its words in their order.
 */
import type { Reporter, RunEvent } from '../../index.js';
import { redactUrlsIn } from '../../index.js';
import { jsonText } from '../json-text.js';
import type { ReporterDeps } from './types.js';

export function createJsonReporter(deps: Pick<ReporterDeps, 'out'>): Reporter {
  return {
    onEvent(e) {
      deps.out.write(`${jsonText(scrubEvent(e))}\n`);
    },
    close() {},
  };
}

/** The event with URL query strings and userinfo removed from its free-text fields. */
function scrubEvent(e: RunEvent): RunEvent {
  switch (e.type) {
    case 'node-failed':
      return {
        ...e,
        message: redactUrlsIn(e.message),
        ...(e.hint === undefined ? {} : { hint: redactUrlsIn(e.hint) }),
      };
    case 'node-retry':
      return { ...e, reason: redactUrlsIn(e.reason) };
    case 'warning':
    case 'notice':
      return { ...e, message: redactUrlsIn(e.message) };
    case 'watch-error':
    case 'run-error':
      return { ...e, problems: e.problems.map((p) => redactUrlsIn(p)) };
    default:
      return e;
  }
}
