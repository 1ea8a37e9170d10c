/**
 * A watch session's lock as it knows it: the file's signature (size, mtime, inode:
 * store/lock-file.ts's `lockSignature`) when a cycle's plan read it, and after each write of the
 * session's own (its cycles' lock writers, a conflicted lock's merge). A lock that is otherwise,
 * replaced from outside (`git checkout <rev> -- recipe.lock.json`, a stash, a pull), is a change:
 * the watcher starts a cycle for it, which plans from the file as it is now and writes the entry of
 * every node it finds up to date that the file lacks. Its own writes are never one (no cycle storm).
 * A write that found the file replaced (a cycle merging into a lock git put in place while it ran)
 * tells at once (`onOutside`): its merge kept only the entries it wrote, the next cycle adds the rest.
 */
import { type LockUpdateListener, lockSignature } from '../store/lock-file.js';

export class LockSeen {
  /** The signature this session last planned from or left; `undefined` before its first plan. */
  #last: string | null | undefined = undefined;
  /** A write of the session's found the file changed from outside since `#last`; until the next plan. */
  #outside = false;
  #path: string | null = null;
  /** Told (the lock's path) when a write of the session's found the file replaced from outside. */
  onOutside: ((lockPath: string) => void) | null = null;

  /**
   * A cycle's plan is about to read the lock: the file as it is now is the one planned from.
   * Signed before the read: a change after the signature shows as one (a cycle more, never one less).
   */
  async planning(lockPath: string): Promise<void> {
    this.#path = lockPath;
    this.#last = await lockSignature(lockPath);
    this.#outside = false;
  }

  /** A write of the session's own, told under the lock's mutex (store/lock-file.ts's `onUpdate`). */
  readonly update: LockUpdateListener = (found, left) => {
    if (this.#last !== undefined && found !== this.#last && !this.#outside) {
      this.#outside = true;
      if (this.#path !== null) this.onOutside?.(this.#path);
    }
    this.#last = left;
  };

  /** Whether the lock changed from outside since the session last planned from it or wrote it. */
  async changedOutside(lockPath: string): Promise<boolean> {
    if (this.#outside) return true;
    if (this.#last === undefined) return false; // the first cycle, queued already, reads it
    return (await lockSignature(lockPath)) !== this.#last;
  }
}
