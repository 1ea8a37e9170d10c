/**
 * A run's lock entries for its nodes, through its lock writer (lock-writer.ts): an entry is
 * written only when it differs from what the lock held at the start (a no-op run leaves the file
 * alone), and a node's drift check can ask whether the lock on disk names its record yet.
 * No writer (`kontext edit`): nothing is written and nothing is asked.
 */
import type { PlanNode } from '../plan/types.js';
import type { LockEntry, RunRecord } from '../store/types.js';
import { lockEntryFor, type LockWriter, sameLockEntry } from './lock-writer.js';
import { providerOf } from './node-provider.js';
import { requestShaFor } from './node-request.js';

export class NodeLockEntries {
  constructor(
    private readonly writer: LockWriter | null,
    private readonly lockPath: string | null,
    /** The lock's entries when the run began. */
    private readonly before: Readonly<Record<string, LockEntry>>,
    private readonly providerName: string,
  ) {}

  /** Write the node's lock entry, unless the lock already says exactly this; resolves once written. */
  record(node: PlanNode, rec: RunRecord, output: string): Promise<void> | null {
    if (!this.writer || this.lockPath === null) return null;
    const requestSha = requestShaFor(node, providerOf(node, this.providerName), rec.input_sha256);
    const entry = lockEntryFor(rec, output, this.lockPath, requestSha);
    const old = this.before[node.id];
    if (!old || !sameLockEntry(old, entry)) return this.writer.set(node.id, entry);
    return null;
  }

  /**
   * Whether the lock on disk names the node's record, once known (`recorded`: its entry being
   * written; `null`: the lock already said the same); `undefined` when there is no lock (`kontext edit`).
   */
  holds(recorded: Promise<void> | null): Promise<boolean> | undefined {
    const { writer } = this;
    if (!writer || this.lockPath === null) return undefined;
    // `null`: the lock already named the node this way, whatever becomes of other nodes' writes.
    if (recorded === null) return Promise.resolve(true);
    return recorded.then(() => !writer.failed);
  }

  /** Write every entry set so far; resolves when they are on disk. */
  async flush(): Promise<void> {
    await this.writer?.flush();
  }
}
