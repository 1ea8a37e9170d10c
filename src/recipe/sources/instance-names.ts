/**
 * Glob instance names: the file stem, made safe for node ids and file names, and made unique
 * deterministically (`shoe`, then `shoe-2` for the next `shoe`, skipping names already taken
 * by other files). Uniqueness ignores case, so outputs do not collide on macOS or Windows.
 * Names are taken in Unicode NFC: macOS may hand back `café.jpg` decomposed (NFD) where Linux
 * has it composed, and both must give one node id (docs/ci.md#sharding).
 */
import path from 'node:path';

/** `Shoe 01.final.jpg` → `Shoe-01.final`: anything outside [A-Za-z0-9._-] (after NFC) becomes `-`. */
export function stemOf(file: string): string {
  const base = path.basename(file).normalize('NFC');
  const dot = base.lastIndexOf('.');
  const stem = dot > 0 ? base.slice(0, dot) : base;
  const safe = stem.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|[-.]+$/g, '');
  return safe === '' ? 'file' : safe;
}

/** One unique name per file, in the given (sorted) order. */
export function instanceNames(files: readonly string[]): string[] {
  const stems = files.map(stemOf);
  // Reserve every natural stem first, so a real `shoe-2.jpg` keeps its own name.
  const taken = new Set(stems.map((s) => s.toLowerCase()));
  const used = new Set<string>();
  const next = new Map<string, number>();
  return stems.map((stem) => {
    const key = stem.toLowerCase();
    if (!used.has(key)) {
      used.add(key);
      return stem;
    }
    let k = next.get(key) ?? 2;
    while (taken.has(`${key}-${k}`)) k++;
    next.set(key, k + 1);
    taken.add(`${key}-${k}`);
    return `${stem}-${k}`;
  });
}
