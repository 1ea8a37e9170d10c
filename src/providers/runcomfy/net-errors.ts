/**
 * Classify low-level network failures (Node and undici error codes). Pure: it reads `code`
 * along the cause chain and decides whether a retry is safe, and for a submit whether the
 * request can have reached the server at all.
 */
import { isCertCheckCode, PROXY_REFUSED, tunnelRefusalHint, tunnelRefusalOf } from '../../util/proxy.js';

/** ETIMEDOUT of the connect itself (no connection was made): not sent, a timeout. */
const CONNECT_TIMEDOUT = 'ETIMEDOUT (connect)';

/**
 * Failures where the request never left this machine (no connection was made). EMFILE/ENFILE:
 * no file descriptor for the socket (a low `ulimit -n`, many -j slots), so none was opened.
 */
const NOT_SENT = new Set([
  CONNECT_TIMEDOUT,
  'EMFILE',
  'ENFILE',
  'ECONNREFUSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  // The TLS handshake with an https:// proxy failed: nothing reached it, let alone the API.
  'UND_ERR_PRX_TLS',
]);

/**
 * The code it gives a tunnel that did not stand (util/proxy-dispatcher.ts `PROXY_TUNNEL_FAILED`:
 * the proxy unreachable, or dropping the CONNECT or the TLS inside it): `proxy tunnel failed (ECONNRESET)`.
 */
export const PROXY_FAILED = 'proxy tunnel failed';

/** Failures after a connection existed: the server may have read (and acted on) the request. */
const AFTER_CONNECT = new Set([
  'ECONNRESET',
  'EPIPE',
  'ECONNABORTED',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
]);

const TIMEOUTS = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
  CONNECT_TIMEDOUT,
]);

/**
 * Codes of {@link NOT_SENT} that a socket already connected fails with too (an ICMP "unreachable"
 * arriving while it reads or writes, a pooled keep-alive socket's): never sent only when the
 * failing call was the connect.
 */
const ALSO_CONNECTED = new Set(['EHOSTUNREACH', 'ENETUNREACH']);

/**
 * The first known network error code along the cause chain, if any. A failed connect (its call,
 * or every attempt of one: Node tries each address of a host in turn, `autoSelectFamily`, and
 * fails with an AggregateError of connects that has a code but no call) sent nothing, a timed-out
 * one included (`ETIMEDOUT (connect)`). One of {@link ALSO_CONNECTED} from any other call comes
 * with that call (`EHOSTUNREACH (read)`): not a code that proves the request unsent, so a submit
 * failing so is maybe paid, never sent again.
 */
export function networkCodeOf(error: unknown): string | undefined {
  let e: unknown = error;
  for (let depth = 0; depth < 6 && e !== null && typeof e === 'object'; depth++) {
    // A proxy's refusal of the tunnel: nothing reached the API.
    const refused = tunnelRefusalOf(e);
    if (refused !== null) return `${PROXY_REFUSED} (HTTP ${refused})`;
    const code = (e as { code?: unknown }).code;
    if (code === 'PROXY_TUNNEL_FAILED') {
      const reason = (e as { reason?: unknown }).reason;
      return `${PROXY_FAILED} (${typeof reason === 'string' ? reason : 'no code'})`;
    }
    if (typeof code === 'string' && isCertCheckCode(code)) return code;
    if (typeof code === 'string' && (NOT_SENT.has(code) || AFTER_CONNECT.has(code))) {
      if (failedConnecting(e)) return code === 'ETIMEDOUT' ? CONNECT_TIMEDOUT : code;
      if (!ALSO_CONNECTED.has(code)) return code;
      const syscall = (e as { syscall?: unknown }).syscall;
      return `${code} (${typeof syscall === 'string' ? syscall : 'not while connecting'})`;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Whether `e` is a failed connect: its call, or an AggregateError whose every attempt is one. */
function failedConnecting(e: object): boolean {
  const { syscall, errors } = e as { syscall?: unknown; errors?: unknown };
  if (syscall === 'connect') return true;
  const isConnect = (m: unknown): boolean =>
    typeof m === 'object' && m !== null && (m as { syscall?: unknown }).syscall === 'connect';
  return Array.isArray(errors) && errors.length > 0 && errors.every(isConnect);
}

/** Whether `code` is a timeout (maps to exit 75 rather than 69 when retries run out). */
export function isTimeoutCode(code: string): boolean {
  return TIMEOUTS.has(code);
}

/** Whether the request certainly never reached the server, so even a submit may be retried. */
export function isNotSentCode(code: string): boolean {
  return NOT_SENT.has(code) || code.startsWith(PROXY_REFUSED) || code.startsWith(PROXY_FAILED) || isCertCheckCode(code);
}

/**
 * Whether `code` is a proxy's refusal that trying again cannot change (its 407 asking for
 * credentials, a 403 of its rules): the proxy's settings must change. A 5xx (it could not reach
 * the host for now) is retried like any failed connection.
 */
export function isProxyRefusalFinal(code: string): boolean {
  return code.startsWith(`${PROXY_REFUSED} (HTTP 4`);
}

/** What to do about a proxy's refusal, `code` as {@link networkCodeOf} gives it; undefined for any other code. */
export function proxyRefusalHint(code: string): string | undefined {
  if (!code.startsWith(PROXY_REFUSED)) return undefined;
  return tunnelRefusalHint(Number(/\(HTTP (\d{3})\)$/.exec(code)?.[1]));
}
