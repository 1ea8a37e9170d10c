/**
 * The store a run sees when a remote cache is configured: a record missing locally is looked
 * up remotely (and then kept locally), and every result the run paid for is uploaded in the
 * background. Records rebuilt locally (adopted from the lock, taken from the remote) are not
 * uploaded, nor a record stored again with its change review (src/run/drift.ts): only a result
 * this machine has just downloaded from the provider; its upload is noted (pending.ts) before its
 * local record is written, so no crash leaves a local hit that no run will upload.
 */
import type { Store } from '../store/types.js';
import type { RemoteCache } from './remote-cache.js';

export function withRemote(store: Store, remote: RemoteCache): Store {
  return {
    ...delegate(store),
    getRecord: async (key) => (await store.getRecord(key)) ?? remote.lookup(key, store),
    putRecord: async (record, options) => {
      if (options?.rebuildable === true || record.review !== undefined) return store.putRecord(record, options);
      // Noted before the local record exists: a run killed right after writing it (kill -9)
      // still has its upload noted, and the next run, a local hit, sends it (pending.ts).
      await remote.note(record, store);
      await store.putRecord(record, options);
      remote.upload(record, store);
    },
  };
}

/** Every call of `store`, passed on. */
function delegate(store: Store): Store {
  return {
    root: store.root,
    blobPath: (sha256) => store.blobPath(sha256),
    hasBlob: (sha256) => store.hasBlob(sha256),
    putBlob: (bytes) => store.putBlob(bytes),
    adoptBlob: (tempFile, sha256, options) => store.adoptBlob(tempFile, sha256, options),
    copyInBlob: (path, sha256) => store.copyInBlob(path, sha256),
    copyInBlobs: (items) => store.copyInBlobs(items),
    tempPath: (hint) => store.tempPath(hint),
    getRecord: (key) => store.getRecord(key),
    putRecord: (record, options) => store.putRecord(record, options),
    hashSource: (path) => store.hashSource(path),
    journal: store.journal,
    written: store.written,
    flush: () => store.flush(),
  };
}

/**
 * The store `kontext status` and `kontext report` see: a record missing locally is what the
 * remote holds for it, checked as a run checks it; nothing is uploaded. `peek` keeps nothing
 * (peek.ts: the blob only for being there); `take` (`kontext report --fetch-remote`) downloads
 * the blob, sha256-checked, and keeps the result in the local store, as a run's fetch does.
 * `fromRemote` collects the keys answered by the remote, so status can say "in the remote cache".
 */
export function peekingRemote(
  store: Store,
  remote: RemoteCache,
  mode: 'peek' | 'take' = 'peek',
): { readonly store: Store; readonly fromRemote: ReadonlySet<string> } {
  const fromRemote = new Set<string>();
  const getRecord: Store['getRecord'] = async (key) => {
    const local = await store.getRecord(key);
    if (local !== null) return local;
    const found = mode === 'take' ? await remote.lookup(key, store) : await remote.peek(key, store);
    if (found !== null) fromRemote.add(key);
    return found;
  };
  return { store: { ...delegate(store), getRecord }, fromRemote };
}
