/**
 * Input hosting: make a local image reachable by URL for the provider (docs/architecture.md#hosting).
 * `createHosting` picks the strategy from the recipe's `hosting:` block; remote strategies
 * record their URLs in the cache dir and reuse them until shortly before they expire.
 */
import { resolve } from 'node:path';
import type { HostingConfig } from '../recipe/types.js';
import { createCachedHosting } from './cached-hosting.js';
import { createCommandStrategy } from './command.js';
import { createInlineHosting } from './inline.js';
import { createS3Strategy } from './s3.js';
import type { Hosting, HostingDeps } from './types.js';

export type { HostableImage, HostedUrl, Hosting, HostingDeps } from './types.js';
export type { HostingConfig } from '../recipe/types.js';
export { HostingError } from './errors.js';
export { assertHostableImageFile } from './guard.js';
export { isRemoteUrlFresh, REMOTE_OUTPUT_REUSE_MS } from './freshness.js';
export { formatDuration } from './preview.js';
export { DEFAULT_PRESIGN_TTL_SECONDS } from './s3-settings.js';
export { DEFAULT_COMMAND_URL_TTL_SECONDS } from './command.js';

/**
 * Build the hosting strategy for `config`. Throws `E_HOSTING_CONFIG` (exit 65) for a bad block;
 * touches no network and resolves no credentials until the first `urlFor`.
 */
export function createHosting(config: HostingConfig, deps: HostingDeps): Hosting {
  const roots = [deps.projectRoot, deps.cacheDir, ...(deps.extraRoots ?? [])].map((r) => resolve(r));
  switch (config.mode) {
    case 'inline':
      return createInlineHosting(roots);
    case 's3':
      return createCachedHosting(
        createS3Strategy(config, deps.rt, {
          allowPrivateUrls: deps.allowPrivateUrls === true,
          idleTimeoutMs: deps.s3IdleTimeoutMs,
        }),
        {
          rt: deps.rt,
          cacheDir: deps.cacheDir,
          roots,
        },
      );
    case 'command': {
      const commandDeps = {
        rt: deps.rt,
        cwd: deps.projectRoot,
        allowPrivateUrls: deps.allowPrivateUrls === true,
        onWarning: deps.onWarning,
      };
      return createCachedHosting(createCommandStrategy(config, commandDeps), {
        rt: deps.rt,
        cacheDir: deps.cacheDir,
        roots,
      });
    }
    default: {
      const never: never = config;
      throw new Error(`unknown hosting mode ${JSON.stringify(never)}`);
    }
  }
}
