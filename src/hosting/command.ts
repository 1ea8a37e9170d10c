/**
 * `command`: a user command uploads one file and prints its URL on the last non-empty line of
 * stdout. It gets `KONTEXT_FILE` (a checked private copy: snapshot.ts), `KONTEXT_SOURCE` (the
 * file itself, to name the upload by), `KONTEXT_SHA256`, `KONTEXT_MEDIA_TYPE`, `KONTEXT_EXT` and
 * `KONTEXT_BYTES` in its environment. The URL is trusted for `url_ttl_seconds` (default 1 h),
 * since a command cannot tell us how long its URLs live. The command text itself is never
 * echoed in messages: it may carry a token.
 */
import { constants } from 'node:os';
import type { HostingConfig } from '../recipe/types.js';
import type { Runtime } from '../runtime.js';
import { redactSecrets, redactUrl, redactUrlsIn } from '../util/redact.js';
import type { HostResult, RemoteStrategy } from './cached-hosting.js';
import { commandEnv } from './command-env.js';
import { commandIdentity } from './command-identity.js';
import { runCommand, type CommandOutcome } from './command-exec.js';
import { HostingError } from './errors.js';
import { withSnapshot } from './snapshot.js';
import { refusePrivateUrl } from './private-url.js';
import { rehostPreview, uploadPreview } from './preview.js';
import type { HostableImage, HostingPreview, LabelledImage } from './types.js';

export type CommandHostingConfig = Extract<HostingConfig, { readonly mode: 'command' }>;

const DEFAULT_COMMAND_TIMEOUT_SECONDS = 120;
export const DEFAULT_COMMAND_URL_TTL_SECONDS = 3600;

/** Names of variables holding secrets: `AWS_ACCESS_KEY_ID` and `FAL_KEY_ID` too (walk-o: echoed as is). */
const SECRET_NAME = /TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|_KEY$|^KEY|_KEY_ID$|ACCESS_KEY/i;

/** Values of env vars that look secret, to scrub from the command's echoed stderr. */
export function envSecrets(env: Readonly<Record<string, string | undefined>>): string[] {
  return Object.entries(env).flatMap(([k, v]) => (v && SECRET_NAME.test(k) ? [v] : []));
}

function configError(message: string, hint: string): HostingError {
  return new HostingError('E_HOSTING_CONFIG', `hosting: ${message}`, { hint });
}

function checkSeconds(field: string, value: number | undefined, fallback: number, min: number): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v < min)
    throw configError(`${field} must be a number >= ${min}`, `the default is ${fallback}`);
  return v;
}

function checkCommand(command: string | readonly string[]): string | readonly string[] {
  const empty = typeof command === 'string' ? command.trim() === '' : command.length === 0 || (command[0] ?? '') === '';
  if (empty) throw configError('command is empty', 'e.g. command: ./scripts/upload.sh');
  return command;
}

export function createCommandStrategy(
  config: CommandHostingConfig,
  deps: {
    readonly rt: Runtime;
    readonly cwd: string;
    readonly allowPrivateUrls?: boolean;
    /** Told when what the URL serves could not be checked (verify-url.ts); the run goes on. */
    readonly onWarning?: ((message: string) => void) | undefined;
  },
): RemoteStrategy {
  const command = checkCommand(config.command);
  const timeoutS = checkSeconds('timeout_seconds', config.timeout_seconds, DEFAULT_COMMAND_TIMEOUT_SECONDS, 0.001);
  const ttlS = checkSeconds('url_ttl_seconds', config.url_ttl_seconds, DEFAULT_COMMAND_URL_TTL_SECONDS, 0);
  const { rt } = deps;
  const secrets = envSecrets(rt.env);
  return {
    mode: 'command',
    identity: { command },
    identityNow: commandIdentity(command, deps.cwd, rt.env['PATH']),
    async host(image: LabelledImage, signal: AbortSignal | undefined): Promise<HostResult> {
      // The command reads a private copy of the bytes checked, not the file, which may be
      // swapped meanwhile for a non-image or another image (walk-p); the file's own path is
      // there to name the upload by (KONTEXT_SOURCE).
      let bytes = 0;
      const outcome = await withSnapshot(image, signal, (copy) => {
        bytes = copy.bytes;
        if (signal?.aborted) throw signal.reason;
        return runCommand(command, {
          env: commandEnv(rt.env, { ...image, bytes }, copy.path),
          cwd: deps.cwd,
          timeoutMs: timeoutS * 1000,
          signal,
        });
      });
      if (signal?.aborted) throw signal.reason;
      const url = urlFromOutcome(outcome, timeoutS, secrets);
      const allowPrivateUrls = deps.allowPrivateUrls === true;
      if (!allowPrivateUrls) refusePrivateUrl(url, 'hosting command printed');
      // Before the API is paid to fetch it: the command may have printed another image's URL, whose
      // edit would be cached under this image (walk-af 3). Loaded here: undici only once a command runs.
      const { checkServedBytes } = await import('./verify-url.js');
      const served = await checkServedBytes(
        url,
        { sha256: image.sha256, bytes },
        { env: rt.env, signal, allowPrivateUrls },
      );
      if (served !== true)
        deps.onWarning?.(
          `hosting: could not check what the hosting command's URL ${redactUrl(url)} serves (${served}); ` +
            'the API is asked to fetch it all the same',
        );
      return {
        url,
        expiresAt: rt.now() + ttlS * 1000,
        uploaded: true,
        bytesUploaded: bytes,
        verified: served === true,
      };
    },
    preview(image: HostableImage, hostedBefore: boolean): HostingPreview {
      if (!hostedBefore) return uploadPreview(image.bytes, 'via hosting command');
      return rehostPreview(
        image.bytes,
        `hosted URL expired; will run the hosting command again (${uploadPreview(image.bytes).text})`,
      );
    },
  };
}

function lastLine(text: string): string {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  return lines[lines.length - 1] ?? '';
}

function scrub(text: string, secrets: readonly string[]): string {
  const clean = redactUrlsIn(redactSecrets(text, secrets));
  return clean.length > 200 ? `${clean.slice(0, 197)}…` : clean;
}

/** The URL the command printed, or the error that explains why there is none. */
export function urlFromOutcome(outcome: CommandOutcome, timeoutS: number, secrets: readonly string[]): string {
  const errLine = scrub(lastLine(outcome.stderr), secrets);
  const said = errLine ? `: ${errLine}` : '';
  if (outcome.spawnError) {
    throw new HostingError(
      'E_HOSTING_COMMAND_NOT_FOUND',
      `hosting command could not be started (${outcome.spawnError.code ?? 'error'})`,
      {
        hint: 'check hosting.command: the program must exist and be executable',
      },
    );
  }
  if (outcome.timedOut) {
    throw new HostingError(
      'E_HOSTING_COMMAND_TIMEOUT',
      `hosting command timed out after ${timeoutS} s and was stopped`,
      {
        hint: 'raise hosting.timeout_seconds, or check that the command does not wait for input',
      },
    );
  }
  if (outcome.exitCode === 127 || outcome.exitCode === 126) {
    throw new HostingError(
      'E_HOSTING_COMMAND_NOT_FOUND',
      `hosting command not found or not executable (exit ${outcome.exitCode})${said}`,
      {
        hint: 'check hosting.command: the program must exist and be executable',
      },
    );
  }
  if (outcome.exitCode !== 0) {
    const how = outcome.exitCode === null ? killedBy(outcome.killedBy) : `failed (exit ${exitText(outcome.exitCode)})`;
    throw new HostingError('E_HOSTING_COMMAND_FAILED', `hosting command ${how}${said}`, {
      hint: 'run the command by hand with KONTEXT_FILE set to see why',
    });
  }
  return parseUrlLine(lastLine(outcome.stdout), secrets);
}

/**
 * The signal that ended the command or what it ran (walk-af 10). kontext's own kill is a timeout
 * or a Ctrl-C, told apart before this, so a SIGKILL came from elsewhere: most likely the kernel,
 * out of memory.
 */
function signalText(signal: NodeJS.Signals): string {
  return signal === 'SIGKILL'
    ? 'SIGKILL, not by kontext (the system may have run out of memory: the OOM killer sends it)'
    : signal;
}

function killedBy(signal: NodeJS.Signals | null | undefined): string {
  return signal ? `was killed by ${signalText(signal)}` : 'was killed by a signal';
}

/**
 * An exit code, with the signal a shell means by 128 + its number: `rclone … && echo URL` whose
 * rclone was killed exits 137, `137: as a shell says what it ran was killed by SIGKILL, …`.
 */
function exitText(code: number): string {
  const signal = code > 128 && code < 160 ? signalName(code - 128) : undefined;
  return signal === undefined ? `${code}` : `${code}: as a shell says what it ran was killed by ${signalText(signal)}`;
}

function signalName(n: number): NodeJS.Signals | undefined {
  return (Object.entries(constants.signals) as [NodeJS.Signals, number][]).find(([, v]) => v === n)?.[0];
}

/** Never in a URL line: `new URL` would percent-encode a space (or drop a tab), making a URL never printed. */
const NOT_IN_URL = /[\s\p{Cc}]/u;

/**
 * The URL of the command's last line, as the URL parser writes it (`href`). The line is the URL
 * alone: one with more after it (`https://cdn/x.png (uploaded in 0.2 s)`) would become the URL
 * `https://cdn/x.png%20(uploaded…`, a 404 the API is paid to fetch (walk-af 7).
 */
function parseUrlLine(line: string, secrets: readonly string[]): string {
  const cut = line.search(NOT_IN_URL);
  if (cut !== -1 && /^https?:/i.test(line)) {
    const shown = (text: string): string => JSON.stringify(scrub(text, secrets).slice(0, 80));
    throw new HostingError(
      'E_HOSTING_COMMAND_OUTPUT',
      'hosting command must print only the URL on its last line of output; after ' +
        `${shown(line.slice(0, cut))} it printed ${shown(line.slice(cut))}`,
      { hint: 'print the URL alone on the last line, e.g. `echo "https://cdn.example.com/$KONTEXT_SHA256"`' },
    );
  }
  let url: URL | undefined;
  try {
    url = new URL(line);
  } catch {
    url = undefined;
  }
  // A user name or password in it would be sent to the provider and kept in the cache (walk-o),
  // where a recipe's own source URL carrying one is refused.
  if (url && (url.protocol === 'https:' || url.protocol === 'http:') && (url.username !== '' || url.password !== ''))
    throw new HostingError(
      'E_HOSTING_COMMAND_OUTPUT',
      `hosting command printed a URL with a user name or password (${scrub(redactUrl(line), secrets)}); ` +
        'it is not sent anywhere',
      { hint: 'print a URL the provider can fetch without credentials: a public or presigned one' },
    );
  if (url && (url.protocol === 'https:' || url.protocol === 'http:')) return url.href;
  const shown = line === '' ? 'nothing' : JSON.stringify(scrub(redactUrl(line), secrets).slice(0, 80));
  throw new HostingError(
    'E_HOSTING_COMMAND_OUTPUT',
    `hosting command must print an http(s) URL on its last line of output; it printed ${shown}`,
    {
      hint: 'print only the URL last, e.g. `echo "https://cdn.example.com/$KONTEXT_SHA256"`',
    },
  );
}
