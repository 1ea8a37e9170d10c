/**
 * The report page: one self-contained HTML file (no CDN, fonts or external scripts) holding the
 * data as one JSON blob and a small inline script that renders it. Nothing from the recipe is
 * ever pasted into markup: the data is JSON with `<`, `>`, `&` and the line separators escaped
 * (a prompt holding `</script>` cannot end the blob) and the script puts it in the page with
 * `textContent`. A Content-Security-Policy allows only this page's own script and style
 * (by hash), images from the report's own folder, and on a served page its own origin.
 */
import { createHash } from 'node:crypto';
import { SCRIPT_GRID } from './page/script-grid.js';
import { SCRIPT_VIEW } from './page/script-view.js';
import { PAGE_STYLE } from './page/style.js';
import type { ReportData } from './types.js';

/** A page served by the watch server: live updates, and the per-session token a pick needs. */
export interface LivePage {
  readonly token: string;
  /** The server's session id: a page whose event stream names another reloads (its token is stale). */
  readonly session: string;
  readonly pick: boolean;
  /** How often the server sends a `ping` event: a page that hears nothing for over two stops saying it is live. */
  readonly pingMs: number;
}

/** JSON safe inside a `<script type="application/json">` element. */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Text for HTML content or a double-quoted attribute. */
function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

const sha = (text: string): string => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

export function renderPage(data: ReportData, live: LivePage | null = null): string {
  const script = [
    '(function(){"use strict";',
    `var D=JSON.parse(document.getElementById("kontext-data").textContent);`,
    `var LIVE=${live !== null},PICK=${live?.pick === true},PING=${live?.pingMs ?? 0},CONNECTED=false;`,
    'var TOKEN=(document.querySelector("meta[name=kontext-token]")||{}).content||"";',
    'var SESSION=(document.querySelector("meta[name=kontext-session]")||{}).content||"";',
    SCRIPT_GRID,
    SCRIPT_VIEW,
    'apply(D);if(D.nodes.length)tiles[D.nodes[0].id].tabIndex=0;})();',
  ].join('\n');
  const csp = [
    "default-src 'none'",
    `script-src ${sha(script)}`,
    `style-src ${sha(PAGE_STYLE)}`,
    "img-src 'self' file:",
    live === null ? null : "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
  ]
    .filter((d) => d !== null)
    .join('; ');
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">`,
    '<meta name="viewport" content="width=device-width,initial-scale=1">',
    '<meta name="referrer" content="no-referrer">',
    live === null ? '' : `<meta name="kontext-token" content="${escapeHtml(live.token)}">`,
    live === null ? '' : `<meta name="kontext-session" content="${escapeHtml(live.session)}">`,
    `<title>${escapeHtml(`${data.recipe.name} — kontext review`)}</title>`,
    `<style>${PAGE_STYLE}</style></head>`,
    '<body>',
    '<header class="top" id="top"></header>',
    '<main><div class="grid" id="grid"></div></main>',
    '<div class="viewer" id="viewer" role="dialog" aria-modal="true" aria-label="image viewer" hidden>',
    '<div class="vh" id="v-head"></div><div class="stagewrap" id="v-wrap"><div class="stage" id="v-stage"></div></div>',
    '<div class="vf" id="v-foot"></div></div>',
    `<script type="application/json" id="kontext-data">${jsonForScript(data)}</script>`,
    `<script>${script}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}
