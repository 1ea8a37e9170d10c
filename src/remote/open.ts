/** Open a remote cache; its S3 client loads here, only when a remote is configured. */
import type { Runtime } from '../runtime.js';
import type { RemoteBounds } from './bucket.js';
import type { RemoteChoice } from './choose.js';
import { RemoteCache } from './remote-cache.js';

export async function openRemote(
  choice: RemoteChoice,
  deps: {
    readonly rt: Runtime;
    readonly warn: (message: string) => void;
    readonly notice: (message: string) => void;
    readonly signal?: AbortSignal | undefined;
    readonly uploadSignal?: AbortSignal | undefined;
    readonly bounds?: RemoteBounds | undefined;
    readonly lostStopsSubmits?: boolean | undefined;
  },
): Promise<RemoteCache> {
  const { openBucket } = await import('./bucket.js');
  const bucket = openBucket(choice.location, deps.rt.env, deps.bounds, deps.rt.now);
  if (choice.notice !== null) deps.notice(choice.notice);
  return new RemoteCache({
    bucket,
    upload: choice.upload,
    warn: deps.warn,
    notice: deps.notice,
    now: deps.rt.now,
    signal: deps.signal,
    uploadSignal: deps.uploadSignal,
    lostStopsSubmits: deps.lostStopsSubmits,
  });
}
