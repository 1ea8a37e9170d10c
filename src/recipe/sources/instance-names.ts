/**
 * Glob instance names: the file stem, made safe for node ids and file names, and made unique
 * deterministically (`shoe`, then `shoe-2` for the next `shoe`, skipping names already taken
 * by other files). Uniqueness ignores case, so outputs do not collide on macOS or Windows.
 * Names are taken in Unicode NFC: macOS may hand back `café.jpg` decomposed (NFD) where Linux
 * has it composed, and both must give one node id (docs/ci.md#sharding).
 * A stem longer than {@link MAX_STEM} characters is cut and given a hash of the whole name, so
 * `<stem>[-v<k>].<ext>` and its temp beside it stay far under a file system's 255-byte name limit.
 * A Windows device name (`con`, `nul`, `com1`…) gets a `_`: see {@link WINDOWS_RESERVED}.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';

/**
 * The longest instance name before a `-2` numbering: an output's name adds at most `-v64.jpeg`,
 * and its temp file `.<name>.<writer tag>.tmp` about 60 bytes more, within 255.
 */
const MAX_STEM = 100;
/** A cut stem keeps this many characters, then `-` and 8 hex digits of the whole name's sha256. */
const CUT_KEEP = MAX_STEM - 9;

/** `Shoe 01.final.jpg` → `Shoe-01.final`: anything outside [A-Za-z0-9._-] (after NFC) becomes `-`. */
export function stemOf(file: string): string {
  const base = path.basename(file).normalize('NFC');
  const dot = base.lastIndexOf('.');
  const stem = dot > 0 ? base.slice(0, dot) : base;
  const safe = stem.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|[-.]+$/g, '');
  if (safe === '') return 'file';
  if (safe.length <= MAX_STEM) return travelling(safe);
  // Hashed from the name as written (NFC), so two long names differing only past the cut, or only
  // in characters the cleaning replaced, keep their own names whatever other files the glob matches.
  const hash = createHash('sha256').update(stem).digest('hex').slice(0, 8);
  return `${safe.slice(0, CUT_KEEP).replace(/[-.]+$/, '')}-${hash}`;
}

/**
 * Windows reserves device names, whatever the extension (`con.png`, `nul.tar.gz` are the device):
 * such a stem gets `_` after its first part (`con` → `con_`, `aux.final` → `aux_.final`), so the
 * output can be checked out and opened on Windows too. (A stem never holds the superscript digits
 * or `$` of `com¹` or `conin$`: those become `-`; a `save:` name may, see rules/windows-names.ts.)
 */
export const WINDOWS_RESERVED = /^(?:con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)$/i;

function travelling(stem: string): string {
  const dot = stem.indexOf('.');
  const head = dot === -1 ? stem : stem.slice(0, dot);
  return WINDOWS_RESERVED.test(head) ? `${head}_${stem.slice(head.length)}` : stem;
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
