/**
 * What every client says and does about a network failure it has a code for (net-errors.ts
 * `networkCodeOf`): its words, the proxy it went through, whether to try again, its hint. Apart
 * from net-errors.ts, which a run loads at start (submit-claim.ts): this one reads the proxy of
 * a dispatcher, and so loads undici, only when a client is made.
 */
import type { Dispatcher } from 'undici';
import { isCertCheckCode, PROXY_REFUSED } from '../../util/proxy.js';
import { proxyOfDispatcher } from '../../util/proxy-dispatcher.js';
import { isProxyRefusalFinal, isTimeoutCode, PROXY_FAILED, proxyRefusalHint } from './net-errors.js';

/** A coded network failure of one call, as every client reports it ({@link codedFailure}). */
export interface CodedFailure {
  /** `network error CODE`, and the proxy the call went through. */
  readonly text: string;
  /** Whether another attempt may succeed (not after a proxy's final refusal). */
  readonly retryable: boolean;
  /** NetworkError's options: the code, whether it is a timeout, a proxy refusal's hint. */
  readonly options: { readonly netCode: string; readonly timeout: boolean; readonly hint?: string };
}

/** What a client says and does about network failure `code` of a call to `url` over `dispatcher`. */
export function codedFailure(code: string, dispatcher: Dispatcher, url: string): CodedFailure {
  const proxy = proxyOfDispatcher(dispatcher, url);
  const via = proxy === null ? '' : ` (through the proxy ${proxy})`;
  const status = /\(HTTP (\d{3})\)$/.exec(code)?.[1];
  let text = `network error ${code}${via}`;
  let hint = proxyRefusalHint(code);
  if (code.startsWith(PROXY_REFUSED) && proxy !== null)
    text = `the proxy ${proxy} refused the tunnel to ${hostOf(url)} (HTTP ${status})`;
  const reason = code.startsWith(PROXY_FAILED) ? code.slice(PROXY_FAILED.length + 2, -1) : '';
  const proxyCert = isCertCheckCode(reason);
  if (code.startsWith(PROXY_FAILED) && proxy !== null) {
    text = proxyCert
      ? `the certificate of the proxy ${proxy} is not trusted (${reason})`
      : `no tunnel through the proxy ${proxy} to ${hostOf(url)} (${reason})`;
    hint = proxyCert
      ? "point NODE_EXTRA_CA_CERTS at the proxy's certificate authority (a PEM file)"
      : 'the proxy could not be reached, or dropped the connection before it was through: check it, or run again later';
  }
  if (isCertCheckCode(code)) {
    text = `the certificate of ${hostOf(url)} is not trusted (${code})${via}`;
    hint = 'behind a proxy that re-signs TLS, point NODE_EXTRA_CA_CERTS at its certificate authority (a PEM file)';
  }
  const dated = [code, reason].find(isCertDateCode);
  if (dated !== undefined) hint = certDateHint(dated);
  return {
    text,
    retryable: !isProxyRefusalFinal(code) && !isCertCheckCode(code) && !proxyCert,
    options: { netCode: code, timeout: isTimeoutCode(code), ...(hint === undefined ? {} : { hint }) },
  };
}

/** A certificate refused for its dates: checked against this machine's clock, which may be the one that is wrong. */
function isCertDateCode(code: string): boolean {
  return code === 'CERT_NOT_YET_VALID' || code === 'CERT_HAS_EXPIRED';
}

function certDateHint(code: string): string {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const cert = code === 'CERT_NOT_YET_VALID' ? 'is not valid yet' : 'has expired';
  return (
    `certificates are checked against this machine's clock, which reads ${now}: ` +
    `if that is wrong, set it (NTP); else the certificate ${cert}`
  );
}

/** `host:port` of `url`, as a tunnel names it. */
function hostOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`;
  } catch {
    return 'the host';
  }
}
