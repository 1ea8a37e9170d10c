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
import type { ReporterDeps } from './types.js';

export function createJsonReporter(deps: Pick<ReporterDeps, 'out'>): Reporter {
  return {
    onEvent(e) {
      deps.out.write(`${jsonLine(scrubEvent(e))}\n`);
    },
    close() {},
  };
}

/** DEL and C1, and what can hide or reorder text (bidi controls, Default_Ignorable, U+2028/9, U+FFF9–FFFB). */
const UNSEEN = /[\u007f-\u009f\u2028\u2029\ufff9-\ufffb\p{Default_Ignorable_Code_Point}]/gu;

/** `JSON.stringify`, with {@link UNSEEN} characters written as `\uXXXX` escapes (same value once parsed). */
function jsonLine(value: unknown): string {
  // An astral character (a tag) is two code units, each written as its own escape.
  const unit = (u: string) => `\\u${u.charCodeAt(0).toString(16).padStart(4, '0')}`;
  return JSON.stringify(value).replace(UNSEEN, (c) => c.split('').map(unit).join(''));
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
