/**
 * The lock file's text: pretty JSON (2 spaces), every object's keys sorted, trailing newline.
 * `LockFormatter` produces exactly `formatLock`'s text but remembers each entry's formatted
 * text (entries are immutable values), so a writer updating one node of a 10,000-node lock
 * re-formats one entry, not 10,000. `pieces` gives that text in pieces of about 64 KiB, so a
 * writer never builds the whole text (6 MB at 10,000 nodes, and as much again as a buffer to
 * write) on every update.
 */
import { sortKeysDeep } from './canonical-json.js';
import type { LockEntry, LockFile } from './types.js';

/** Pretty JSON (2 spaces), every object's keys sorted (so node ids too), trailing newline. */
export function formatLock(lock: LockFile): string {
  return `${JSON.stringify(sortKeysDeep(lock), null, 2)}\n`;
}

/**
 * A lock's line ending: LF as kontext writes it, or CRLF where a checkout converted it
 * (`core.autocrlf=true`, `eol=crlf`). A rewrite keeps the file's, so git (`core.safecrlf=true`
 * refuses an LF file it would convert) and editors see only the entries that changed.
 */
export type LockEol = '\n' | '\r\n';

/** The line ending of a lock's text: its first line's. */
export function lockEol(text: string | null): LockEol {
  const nl = text?.indexOf('\n') ?? -1;
  return nl > 0 && text?.[nl - 1] === '\r' ? '\r\n' : '\n';
}

/** About 64 KiB of ASCII: a write of the lock file takes ~100 of them at 10,000 nodes. */
const PIECE_CHARS = 64 * 1024;

export class LockFormatter {
  readonly #entries = new WeakMap<LockEntry, string>();

  /** Same text as {@link formatLock} for a version-1 lock with these nodes. */
  format(nodes: Readonly<Record<string, LockEntry>>): string {
    return [...this.pieces(nodes)].join('');
  }

  /** {@link format}'s text with `eol` line endings, in pieces of about {@link PIECE_CHARS} characters. */
  *pieces(nodes: Readonly<Record<string, LockEntry>>, eol: LockEol = '\n'): Generator<string> {
    for (const piece of this.#pieces(nodes)) yield eol === '\n' ? piece : piece.split('\n').join(eol);
  }

  /** {@link format}'s text in pieces (`nodes` must not change meanwhile). */
  *#pieces(nodes: Readonly<Record<string, LockEntry>>): Generator<string> {
    const ids = orderedKeys(nodes);
    if (ids.length === 0) {
      yield formatLock({ version: 1, nodes: {} });
      return;
    }
    let parts: string[] = ['{\n  "nodes": {\n'];
    let chars = 0;
    for (const [i, id] of ids.entries()) {
      const part = `${i === 0 ? '' : ',\n'}    ${JSON.stringify(id)}: ${this.#entry(nodes[id] as LockEntry)}`;
      parts.push(part);
      chars += part.length;
      if (chars >= PIECE_CHARS) {
        yield parts.join('');
        parts = [];
        chars = 0;
      }
    }
    parts.push('\n  },\n  "version": 1\n}\n');
    yield parts.join('');
  }

  /** Whether `text` is exactly {@link format}'s text for `nodes`, in `text`'s line ending (compared piece by piece). */
  isText(nodes: Readonly<Record<string, LockEntry>>, text: string): boolean {
    let at = 0;
    for (const piece of this.pieces(nodes, lockEol(text))) {
      if (!text.startsWith(piece, at)) return false;
      at += piece.length;
    }
    return at === text.length;
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
