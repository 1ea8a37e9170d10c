/**
 * One line per event, shared by the plain and tty reporters: each reporter adds its own
 * marker (`done   ` in a log, `✓` on a terminal). Free text from events (messages, hints,
 * retry reasons) has URLs scrubbed (a presigned query string must never reach a log) and
 * control characters escaped (a server's message must not drive the terminal).
 */
import type { RunEventOf } from '../../index.js';
import { escapeControls, redactUrlsIn } from '../../index.js';
import type { Style } from './ansi.js';
import { formatDuration } from './duration.js';
import { formatCount, formatUsd } from './numbers.js';
import { reasonWords, skipWords } from './words.js';

export function runStartBody(e: RunEventOf<'run-start'>): string {
  const nodes = `${formatCount(e.nodes)} ${e.nodes === 1 ? 'node' : 'nodes'}`;
  const stopped = (e.stopped ?? 0) > 0 ? `, ${formatCount(e.stopped ?? 0)} stopped` : '';
  const counts = `${nodes}, ${formatCount(e.to_run)} to run, ${formatCount(e.cached)} cached${stopped}`;
  return `${e.recipe}: ${counts} (jobs ${e.jobs}, provider ${e.provider})`;
}

export function startBody(e: RunEventOf<'node-start'>): string {
  return `${e.node}  ${reasonWords(e.reason, e.claim, e.submit_refused)}`;
}

export function planBody(e: RunEventOf<'node-plan'>): string {
  return `${e.node}  ${reasonWords(e.reason, e.claim, e.submit_refused)}  ← ${clean(e.input)}`;
}

export function retryBody(e: RunEventOf<'node-retry'>): string {
  return `${e.node}  ${e.call} attempt ${e.attempt} in ${formatDuration(e.delay_ms)}: ${clean(networkWords(e.reason))}`;
}

/** What a network error code a retry names means, said before the code (which stays, for searching). */
const NETWORK_WORDS: Readonly<Record<string, string>> = {
  UND_ERR_SOCKET: 'the connection closed mid-reply',
  UND_ERR_CLOSED: 'the connection closed',
  ECONNRESET: 'the connection was reset',
  ECONNREFUSED: 'the connection was refused',
  ECONNABORTED: 'the connection was aborted',
  EPIPE: 'the connection closed while sending',
  ETIMEDOUT: 'the connection timed out',
  'ETIMEDOUT (connect)': 'connecting timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connecting timed out',
  UND_ERR_HEADERS_TIMEOUT: 'no reply in time',
  UND_ERR_BODY_TIMEOUT: 'the reply stalled',
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: 'the reply was cut short',
  ENOTFOUND: 'the host name was not found',
  EAI_AGAIN: 'the host name could not be looked up now',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files on the system',
};

/** `UND_ERR_SOCKET` as `the connection closed mid-reply (UND_ERR_SOCKET)`; any other reason as it is. */
function networkWords(reason: string): string {
  const words = NETWORK_WORDS[reason];
  return words === undefined ? reason : `${words} (${reason})`;
}

export function doneBody(e: RunEventOf<'node-done'>): string {
  return `${e.node}  ${e.output}  ${formatDuration(e.ms)}`;
}

export function cachedBody(e: RunEventOf<'node-cached'>): string {
  return `${e.node}  ${e.output}  (${e.restored ? 'restored from the cache' : 'up to date'})`;
}

export function failedBody(e: RunEventOf<'node-failed'>): string {
  const hint = e.hint === undefined ? '' : ` (${clean(e.hint)})`;
  return `${e.node}  ${clean(e.code)}: ${clean(e.message)}${hint}`;
}

export function skippedBody(e: RunEventOf<'node-skipped'>): string {
  return `${e.node}  ${skipWords(e.reason)}`;
}

export function warningBody(e: RunEventOf<'warning'>): string {
  return `${e.node === undefined ? '' : `${e.node}: `}${clean(e.message)}`;
}

export function noticeBody(e: RunEventOf<'notice'>): string {
  return clean(e.message);
}

/**
 * `done 3 · cached 120 · failed 1 (jacket) · skipped 2 · submitted 4 · spent $0.16 (4 requests) · 12.3 s ·
 * outputs in out/portrait` (watch mode: `· session $0.40 (10 requests)` after `spent`):
 * `failed` names the first few of `failedNodes` (the reporter's, from node-failed events), so the
 * last line of a long CI log says which nodes to look for (their `failed` lines say why).
 */
export function summaryLine(e: RunEventOf<'run-summary'>, style: Style, failedNodes: readonly string[] = []): string {
  const part = (n: number, label: string, paint: (s: string) => string) =>
    n > 0 ? paint(`${label} ${formatCount(n)}`) : `${label} ${formatCount(n)}`;
  const failed =
    e.failed > 0 && failedNodes.length === e.failed
      ? style.red(namedPart('failed', failedNodes))
      : part(e.failed, 'failed', style.red);
  return [
    part(e.done, 'done', style.green),
    `cached ${formatCount(e.cached)}`,
    failed,
    part(e.skipped, 'skipped', style.yellow),
    `submitted ${formatCount(e.submitted)}`,
    spentPart('spent', e.spend, e.cost_usd, unconfirmedBy(e.spend.by_model)),
    ...(e.session_spend ? [spentPart('session', e.session_spend, e.session_spend.cost_usd)] : []),
    ...(e.uncertain?.length ? [style.yellow(namedPart('maybe paid', e.uncertain))] : []),
    ...(e.outcome_unknown?.length ? [style.yellow(namedPart(unknownWords(e), e.outcome_unknown))] : []),
    ...(e.drift?.length ? [style.yellow(namedPart('drift', e.drift))] : []),
    formatDuration(e.ms),
    `outputs in ${e.out_dir}`,
  ].join(' · ');
}

/**
 * `spent $0.32 (8 requests)`, `spent $0.00`, `spent $0.12 (3 requests, 1 maybe paid)`, `spent ≥ $0.24
 * (8 requests, 2 at an unknown price)`, `spent $0.04 (1 request; 1 cancelled while queued, not billed)`,
 * `spent $0.04 (1 request, 1 maybe paid: cancelled while queued, which fal does not document as
 * unbilled)`: what the run's requests cost at list price, never a guess, and why a request is maybe paid.
 */
function spentPart(
  label: string,
  s: Omit<RunEventOf<'run-summary'>['spend'], 'by_model'>,
  costUsd: number | null,
  who = 'the provider',
) {
  const cancelled = s.cancelled > 0 ? `${formatCount(s.cancelled)} cancelled while queued, not billed` : '';
  if (s.requests === 0) return `${label} ${formatUsd(0)}${cancelled && ` (${cancelled})`}`;
  const counted = [
    `${formatCount(s.requests)} ${s.requests === 1 ? 'request' : 'requests'}`,
    ...(s.maybe_paid > 0 ? [maybePaidPart(s.maybe_paid, s.cancelled_unconfirmed ?? 0, who)] : []),
    ...(s.unpriced > 0 ? [`${formatCount(s.unpriced)} at an unknown price`] : []),
  ].join(', ');
  const notes = cancelled ? `${counted}; ${cancelled}` : counted;
  if (costUsd !== null) return `${label} ${formatUsd(costUsd)} (${notes})`;
  return s.unpriced === s.requests ? `${label} unknown (${notes})` : `${label} ≥ ${formatUsd(s.known_usd)} (${notes})`;
}

/** `3 maybe paid, 1 of them cancelled while queued, which fal does not document as unbilled`. */
function maybePaidPart(maybePaid: number, unconfirmed: number, who: string): string {
  const counted = `${formatCount(maybePaid)} maybe paid`;
  if (unconfirmed === 0) return counted;
  const which = `cancelled while queued, which ${who} does not document as unbilled`;
  return unconfirmed === maybePaid
    ? `${counted}: ${which}`
    : `${counted}, ${formatCount(unconfirmed)} of them ${which}`;
}

/** The providers whose queued cancels the run counts as maybe paid, by name: `fal`, `fal or replicate`. */
function unconfirmedBy(lines: RunEventOf<'run-summary'>['spend']['by_model']): string | undefined {
  const names = [...new Set(lines.filter((l) => (l.cancelled_unconfirmed ?? 0) > 0).map((l) => clean(l.provider)))];
  return names.length === 0 ? undefined : names.join(' or ');
}

/** Paid requests an interrupted run (exit 130) left at the API are that, not of unknown outcome (walk-ak 6). */
function unknownWords(e: RunEventOf<'run-summary'>): string {
  return e.exit_code === 130 ? 'left at the API' : 'outcome unknown';
}

/**
 * `drift 2 (jacket, umbrella)`: the run summary's lists (maybe paid, outcome unknown, over their
 * pass's max_change), the first few nodes by name.
 */
function namedPart(label: string, nodes: readonly string[]): string {
  const shown = nodes.slice(0, 3).map((n) => clean(n));
  const more = nodes.length > 3 ? `, +${formatCount(nodes.length - 3)} more` : '';
  return `${label} ${formatCount(nodes.length)} (${shown.join(', ')}${more})`;
}

/** `portrait.yml: jacket.yml changed → 2 to run (jacket prompt changed, …), 3 cached, 1 abandoned` */
export function watchCycleBody(e: RunEventOf<'watch-cycle'>): string {
  const what =
    e.changed.length === 0
      ? 'watching'
      : `${e.changed
          .map((c) => c.split('/').pop() ?? c)
          .slice(0, 3)
          .join(', ')}${e.changed.length > 3 ? ` +${e.changed.length - 3}` : ''} changed`;
  const shown = e.to_run.slice(0, 4).map((r) => `${r.node} ${reasonWords(r.reason, r.claim, r.submit_refused)}`);
  const more = e.to_run.length > 4 ? `, +${e.to_run.length - 4} more` : '';
  const runs =
    e.to_run.length === 0 ? 'nothing to run' : `${formatCount(e.to_run.length)} to run (${shown.join(', ')}${more})`;
  const inFlight = e.in_flight > 0 ? `, ${formatCount(e.in_flight)} still in flight` : '';
  const abandoned = e.abandoned > 0 ? `, ${formatCount(e.abandoned)} abandoned` : '';
  const stopped = (e.stopped ?? 0) > 0 ? `, ${formatCount(e.stopped ?? 0)} stopped` : '';
  return `${e.recipe}: ${what} → ${runs}${inFlight}, ${formatCount(e.cached)} cached${stopped}${abandoned}`;
}

/**
 * `r.yml: invalid; keeping the last good plan and watching` and the problems below, or for a
 * cycle stopped before its run: `r.yml: cycle stopped: <reason>; watching` (more reasons below).
 */
export function watchErrorLines(e: RunEventOf<'watch-error'>): string[] {
  const indented = (lines: readonly string[]): string[] => lines.map((p) => `  ${clean(p)}`);
  if (e.kind === 'invalid')
    return [`${e.recipe}: invalid; keeping the last good plan and watching`, ...indented(e.problems)];
  const [first, ...rest] = e.problems;
  return [`${e.recipe}: cycle stopped: ${clean(first ?? 'no reason given')}; watching`, ...indented(rest)];
}

/** Free text from events, safe to print. */
function clean(text: string): string {
  return escapeControls(redactUrlsIn(text));
}
