/** The remote cache's dependencies and counters (remote-cache.ts). */
import type { RemoteBucket } from './bucket.js';

export interface RemoteCacheDeps {
  readonly bucket: RemoteBucket;
  readonly upload: boolean;
  readonly warn: (message: string) => void;
  readonly notice: (message: string) => void;
  readonly now: () => number;
  readonly signal?: AbortSignal | undefined;
  /** When uploads stop (default: `signal`). */
  readonly uploadSignal?: AbortSignal | undefined;
  /**
   * A lost remote stops the run's submits (`RemoteCache.lost`: a `--shard` run's), so its warning does not
   * say the run goes on without it.
   */
  readonly lostStopsSubmits?: boolean | undefined;
}

export interface RemoteStats {
  hits: number;
  misses: number;
  rejected: number;
  uploaded: number;
}
