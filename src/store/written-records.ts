/**
 * The hand-edit rule's memory for outputs written by a kontext that kept no `written/` markers
 * (before 2026-12-04): whether the cache holds a run record of a node whose output is these bytes
 * (walk-aj 2). A file at a node's output path holding such a result is kontext's own, as a marker
 * would say: after an upgrade, a `git checkout` of another branch with `out/` ignored leaves the
 * other branch's results there, and the cache has their records, named by keys this branch's lock
 * does not know. Another node's result (variant 2 copied over variant 1) is still refused.
 *
 * Cheap where it is asked most: bytes the cache never held (a hand edit) have no blob, one stat,
 * and no record is read. Otherwise the records are read once per store (each capped as a record
 * read is) into a map from output sha256 to node ids. A record written after that (this
 * process's own outputs have markers), unreadable or damaged (its request not hashing to its key,
 * cache-key.ts) says nothing: the rule is only ever stricter for it.
 */
import { existsSync } from 'node:fs';
import { READ_CAPS, readBoundedSync } from '../util/read-bounded.js';
import { recordAsksItsKey } from './cache-key.js';
import { layout } from './layout.js';
import { listFanOut } from './list-dir.js';
import { parseRunRecord } from './record-parse.js';
import type { RunRecord } from './types.js';

/** Whether the cache dir `root` holds a run record of `node` whose output is `sha256` (and its blob). */
export type RecordedResult = (node: string, sha256: string) => Promise<boolean>;

/** Records read between two turns of the event loop (about 10 ms of reads). */
const BATCH = 500;

export function recordedResults(root: string): RecordedResult {
  let byOutput: Promise<ReadonlyMap<string, readonly string[]>> | null = null;
  return async (node, sha256) => {
    try {
      if (!existsSync(layout.blob(root, sha256))) return false;
      byOutput ??= readRecords(root);
      return (await byOutput).get(sha256)?.includes(node) === true;
    } catch {
      return false; // a hint, as a marker is: without it the check is stricter, never less safe
    }
  };
}

/**
 * Read synchronously, as a record look-up is (records.ts), in batches with a turn of the event
 * loop between them: a thread-pool round trip per file made 20,000 records take 2-4 s, the
 * synchronous reads 0.3-0.6 s.
 */
async function readRecords(root: string): Promise<ReadonlyMap<string, readonly string[]>> {
  const files = (await listFanOut(layout.records(root))).filter((f) => f.name.endsWith('.json'));
  const byOutput = new Map<string, string[]>();
  for (let i = 0; i < files.length; i++) {
    if (i > 0 && i % BATCH === 0) await new Promise((done) => setImmediate(done));
    const file = files[i]!;
    const record = readRecord(file.path);
    if (record === null || `${record.key}.json` !== file.name || !recordAsksItsKey(record)) continue;
    const nodes = byOutput.get(record.output_sha256);
    if (nodes === undefined) byOutput.set(record.output_sha256, [record.node]);
    else if (!nodes.includes(record.node)) nodes.push(record.node);
  }
  return byOutput;
}

function readRecord(path: string): RunRecord | null {
  try {
    return parseRunRecord(JSON.parse(readBoundedSync(path, READ_CAPS.record).bytes.toString('utf8')));
  } catch {
    return null; // gone (gc), unreadable, too big or damaged: says nothing
  }
}
