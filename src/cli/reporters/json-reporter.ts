/**
 * `--json`: one NDJSON line per event on `out` and nothing else there, so `kontext run
 * --json | jq` always parses. The event shape is the zod `RunEvent` schema (validated in
 * tests, not per event: the hot path is a 10,000-node re-run). Free text is URL-scrubbed.
 * Server text is kept as data: JSON escapes C0 controls, and DEL and C1 are escaped here too,
 * so a line shown on a terminal carries no raw control character.
 */
import type { Reporter, RunEvent } from '../../index.js';
import { redactUrlsIn } from '../../index.js';
import type { ReporterDeps } from './types.js';

export function createJsonReporter(deps: Pick<ReporterDeps, 'out'>): Reporter {
  return {
    onEvent(e) {
      deps.out.write(`${jsonLine(scrubEvent(e))}\n`);
    },
    close() {},
  };
}

const DEL_AND_C1 = /[\u007f-\u009f]/g;

/** `JSON.stringify`, with DEL and C1 written as `\u00XX` escapes (same value once parsed). */
function jsonLine(value: unknown): string {
  return JSON.stringify(value).replace(DEL_AND_C1, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
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
    default:
      return e;
  }
}
