/**
 * The lock file's text: pretty JSON (2 spaces), every object's keys sorted, trailing newline.
 * `LockFormatter` produces exactly `formatLock`'s text but remembers each entry's formatted
 * text (entries are immutable values), so a writer updating one node of a 10,000-node lock
 * re-formats one entry, not 10,000.
 */
import { sortKeysDeep } from './canonical-json.js';
import type { LockEntry, LockFile } from './types.js';

/** Pretty JSON (2 spaces), every object's keys sorted (so node ids too), trailing newline. */
export function formatLock(lock: LockFile): string {
  return `${JSON.stringify(sortKeysDeep(lock), null, 2)}\n`;
}

export class LockFormatter {
  readonly #entries = new WeakMap<LockEntry, string>();

  /** Same text as {@link formatLock} for a version-1 lock with these nodes. */
  format(nodes: Readonly<Record<string, LockEntry>>): string {
    const ids = orderedKeys(nodes);
    if (ids.length === 0) return formatLock({ version: 1, nodes: {} });
    const parts: string[] = [];
    for (const id of ids) parts.push(`    ${JSON.stringify(id)}: ${this.#entry(nodes[id] as LockEntry)}`);
    return `{\n  "nodes": {\n${parts.join(',\n')}\n  },\n  "version": 1\n}\n`;
  }

  /** Whether {@link format} gives the same text for both (without building either). */
  sameText(a: Readonly<Record<string, LockEntry>>, b: Readonly<Record<string, LockEntry>>): boolean {
    const ids = Object.keys(a);
    if (ids.length !== Object.keys(b).length) return false;
    for (const id of ids) {
      if (!Object.hasOwn(b, id)) return false;
      const x = a[id] as LockEntry;
      const y = b[id] as LockEntry;
      if (x !== y && this.#entry(x) !== this.#entry(y)) return false;
    }
    return true;
  }

  #entry(entry: LockEntry): string {
    let text = this.#entries.get(entry);
    if (text === undefined) {
      // split/join, not replace(): V8 keeps a replace() result as a rope of slices of the
      // stringified entry, about three times the size of the flat text this cache holds.
      text = JSON.stringify(sortKeysDeep(entry), null, 2).split('\n').join('\n    ');
      this.#entries.set(entry, text);
    }
    return text;
  }
}

/**
 * The order `JSON.stringify(sortKeysDeep(x))` prints keys in: sorted, except that JS objects
 * always list integer-like keys ("7", "10") first in numeric order. Node ids rarely look like
 * that, but the text must match `formatLock` byte for byte.
 */
function orderedKeys(record: Readonly<Record<string, unknown>>): string[] {
  const sorted: Record<string, true> = {};
  for (const key of Object.keys(record).sort()) sorted[key] = true;
  return Object.keys(sorted);
}
