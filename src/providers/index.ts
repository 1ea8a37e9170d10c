/**
 * Providers: the `Provider` interface and the RunComfy client (also used, unchanged, against
 * the built-in emulator). A run opens one by name with `openProviderSession` (session.ts).
 */
export type { DownloadResult, EditRequest, ModelInfo, Provider, RemoteState, WaitOptions } from './types.js';
export {
  allowedHosts,
  configDir,
  DEFAULT_BASE_URL,
  resolveBaseUrl,
  resolveToken,
  type ResolvedToken,
} from './runcomfy/auth.js';
export {
  createRunComfyProvider,
  DEFAULT_MAX_DOWNLOAD_BYTES,
  type RunComfyOptions,
  type RunComfyProvider,
} from './runcomfy/client.js';
export { DEFAULT_POLL_POLICY, DEFAULT_DEADLINE_MS, nextPollDelay, type PollPolicy } from './runcomfy/poll.js';
export { DEFAULT_RETRY_POLICY, parseRetryAfter, retryDelay, type RetryPolicy } from './runcomfy/retry.js';
export { checkHost, TRUSTED_SUFFIXES } from './runcomfy/host-allow.js';
export { collectOutputUrls, normalizeStatus } from './runcomfy/status.js';
export * from './runcomfy/errors.js';
