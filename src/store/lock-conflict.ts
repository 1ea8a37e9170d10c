/**
 * A lock file git left with conflict markers, read as its two sides (docs/architecture.md#cache-lock-and-journal):
 * "ours" is the text outside the hunks plus each hunk's part before `=======` (or before a diff3
 * `|||||||` base section, which is dropped), "theirs" the same with each hunk's part after it.
 * Markers may have any length (`conflict-marker-size`); a hunk's opening marker fixes its own.
 * Each side must parse as a lock. A line-wise merge can leave a comma missing, or one too many,
 * between two entries of `nodes` (or between `nodes` and `version`): only that is repaired; any
 * other fault, and markers that do not pair up, stay exit 65 at the line of the file.
 */
import { LockFileError } from './errors.js';
import type { LockFile } from './types.js';

export interface LockSides {
  /** The side before `=======` (HEAD, in a merge). */
  readonly ours: LockFile;
  readonly theirs: LockFile;
  /** The conflict hunks the file holds (at least 1). */
  readonly hunks: number;
  /** Each side's text as parsed, to point at a line of it (`lines`: the file's line of each of its lines). */
  readonly texts: { readonly ours: SideSource; readonly theirs: SideSource };
}

/** A side's text, how a message names the side, and the file's line (1-based) of each of its lines. */
export interface SideSource {
  readonly text: string;
  readonly name: string;
  readonly lines: readonly number[];
}

/** lock-file.ts's `parseLock` (passed in: that file reads conflicted locks through this one). */
type ParseLock = (text: string, file: string) => LockFile;

interface SideText {
  readonly lines: string[];
  /** The file's line number (1-based) of each line of the side. */
  readonly at: number[];
}

/** A marker line: a run of one marker character (any length: `conflict-marker-size`), then a label or nothing. */
const MARKER = /^(<+|\|+|=+|>+)(?:[ \t].*)?$/;

interface Marker {
  readonly char: '<' | '|' | '=' | '>';
  readonly size: number;
}

const MARKERS_HINT =
  'the git conflict markers do not pair up (<<<<<<<, optional |||||||, =======, >>>>>>>, all of the length ' +
  'the hunk opened with), so the two sides cannot be told apart: fix the markers, or take one side whole ' +
  '(git checkout --ours or --theirs on the lock)';

/** The line's marker, or null (a lock's own lines start with a space or a brace, never with these). */
function markerOf(line: string): Marker | null {
  const m = MARKER.exec(line);
  const run = m?.[1];
  if (run === undefined) return null;
  const char = run[0] as Marker['char'];
  // `=======` takes no label: a line of `=` with text after it is not git's.
  if (char === '=' && line.slice(run.length).trim() !== '') return null;
  return { char, size: run.length };
}

/**
 * Whether the text holds an opening git conflict marker (`<<<<<<<` of any length; a lock kontext
 * writes never does). Every hunk opens with one: a stray `> note` or `=` line a hand edit left
 * is invalid JSON, reported as such, not a conflict.
 */
export function hasConflictMarkers(text: string): boolean {
  return /^<+(?:[ \t\r]|$)/m.test(text);
}

/** The 1-based line of the first opening marker (`<<<<<<<` of any length); 1 when there is none. */
export function firstMarkerLine(text: string): number {
  return (
    Math.max(
      0,
      text.split('\n').findIndex((l) => l.startsWith('<')),
    ) + 1
  );
}

/**
 * The label git gave "theirs" (the branch merged: `>>>>>>> origin/y`) on the first hunk's own
 * closing marker (not a nested one of a diff3 base), when it reads as a ref name: it is shown in
 * a command to type (`git checkout <label> -- …`), so it must not start with `-` (an option to
 * git) or hold anything but a ref's characters; else `theirs`.
 */
export function theirsLabel(text: string): string {
  const size = /^(<+)(?:[ \t]|\r?$)/m.exec(text)?.[1]?.length ?? 7;
  const label = new RegExp(`^>{${size}}[ \\t]+([^\\s]+)[ \\t]*\\r?$`, 'm').exec(text)?.[1];
  return label !== undefined && /^[\w./@+][\w./@+-]{0,199}$/.test(label) ? label : 'theirs';
}

const OURS = 'ours (before =======)';
const THEIRS = 'theirs (after =======)';

/** The two sides of a conflicted lock, each parsed; null when the text has no conflict hunk. */
export function parseConflictedLock(text: string, file: string, parseLock: ParseLock): LockSides | null {
  const split = splitSides(text, file);
  if (split === null) return null;
  const ours = parseSide(split.ours, file, OURS, parseLock);
  const theirs = parseSide(split.theirs, file, THEIRS, parseLock);
  return {
    ours: ours.lock,
    theirs: theirs.lock,
    hunks: split.hunks,
    texts: {
      ours: { text: ours.text, name: OURS, lines: split.ours.at },
      theirs: { text: theirs.text, name: THEIRS, lines: split.theirs.at },
    },
  };
}

type State = 'out' | 'ours' | 'base' | 'theirs';

/** What each marker does in each state, for a marker of the hunk's own length. */
const NEXT: Readonly<Record<Marker['char'], { readonly from: readonly State[]; readonly to: State }>> = {
  '<': { from: ['out'], to: 'ours' },
  '|': { from: ['ours'], to: 'base' },
  '=': { from: ['ours', 'base'], to: 'theirs' },
  '>': { from: ['theirs'], to: 'out' },
};

/**
 * The hunk's opening marker fixes its length (`conflict-marker-size`; each hunk its own). Inside a
 * diff3 base section, longer markers are the nested conflicts of a recursive merge's virtual base
 * (git makes them 2 longer per level): dropped with the base. A marker of another length anywhere
 * else is a shape that cannot be split safely: exit 65 at its line.
 */
function splitSides(text: string, file: string): { ours: SideText; theirs: SideText; hunks: number } | null {
  const ours: SideText = { lines: [], at: [] };
  const theirs: SideText = { lines: [], at: [] };
  let state: State = 'out';
  let opened = 0;
  let size = 0;
  let hunks = 0;
  const fail = (n: number, what: string): never => {
    throw new LockFileError(`${file}:${n}:1: ${what}`, { hint: MARKERS_HINT, location: { file, line: n, col: 1 } });
  };
  for (const [i, raw] of text.split('\n').entries()) {
    const n = i + 1;
    const marker = markerOf(raw.endsWith('\r') ? raw.slice(0, -1) : raw);
    if (marker === null) {
      if (state === 'out' || state === 'ours') push(ours, raw, n);
      if (state === 'out' || state === 'theirs') push(theirs, raw, n);
      continue;
    }
    const shown = marker.char.repeat(marker.size);
    if (state !== 'out' && marker.size !== size) {
      if (state === 'base' && marker.size > size) continue;
      fail(
        n,
        `git conflict marker ${shown} (${marker.size} characters) inside the conflict opened at line ` +
          `${opened} with markers of ${size}: a nested conflict kontext does not split`,
      );
    }
    const next = NEXT[marker.char];
    if (!next.from.includes(state)) {
      if (marker.char === '<') fail(n, `git conflict marker ${shown} inside the conflict opened at line ${opened}`);
      fail(n, `git conflict marker ${shown} ${where(state, opened)}`);
    }
    if (next.to === 'ours') {
      opened = n;
      size = marker.size;
      hunks++;
    }
    state = next.to;
  }
  if (state !== 'out') fail(opened, `git conflict opened here is never closed by ${'>'.repeat(size)}`);
  return hunks === 0 ? null : { ours, theirs, hunks };
}

function where(state: State, opened: number): string {
  return state === 'out'
    ? 'outside a conflict (no opening marker before it)'
    : `out of place in the conflict opened at line ${opened}`;
}

function push(side: SideText, line: string, n: number): void {
  side.lines.push(line);
  side.at.push(n);
}

/**
 * One side as a lock, and the text it was parsed from; its errors name the file's line (the
 * side's lines keep their order and count).
 */
function parseSide(
  side: SideText,
  file: string,
  name: string,
  parseLock: ParseLock,
): { readonly lock: LockFile; readonly text: string } {
  const text = side.lines.join('\n');
  try {
    return { lock: parseLock(text, file), text };
  } catch {
    // A comma missing or repeated between two entries: repaired, and the whole side parsed again.
  }
  try {
    const repaired = repairCommas(text);
    return { lock: parseLock(repaired, file), text: repaired };
  } catch (e) {
    if (!(e instanceof LockFileError) || e.location === undefined) throw e;
    const { line, col } = e.location;
    const fileLine = side.at[Math.min(line, side.at.length) - 1] ?? 1;
    const what = e.message.slice(`${file}:${line}:${col}: `.length);
    throw new LockFileError(`${file}:${fileLine}:${col}: ${what} (in the ${name} side of the git conflict)`, {
      hint:
        'each side of the conflict must be a lock kontext wrote: fix that side at this line, or take one side ' +
        'whole (git checkout --ours or --theirs on the lock); kontext will not overwrite it',
      location: { file, line: fileLine, col },
      cause: e,
    });
  }
}

interface Open {
  readonly kind: '{' | '[';
  prev: 'open' | 'comma' | 'key' | 'colon' | 'value';
  /** Offset just past the last value, and of the last comma. */
  valueEnd: number;
  comma: number;
}

/**
 * `text` with a comma put between two members of the outer two objects (the lock and its
 * `nodes`) that have none, and a comma before their closing brace removed. Nothing else changes,
 * and no line is added or removed. Text that does not scan is returned as it is.
 */
function repairCommas(text: string): string {
  const edits: { at: number; insert: boolean }[] = [];
  const stack: Open[] = [];
  const top = (): Open | undefined => stack[stack.length - 1];
  const value = (end: number): void => {
    const t = top();
    if (t === undefined) return;
    t.prev = 'value';
    t.valueEnd = end;
  };
  const outer = (): boolean => stack.length <= 2 && stack.every((o) => o.kind === '{');
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\uFEFF') {
      i++;
    } else if (c === '"') {
      const end = stringEnd(text, i);
      if (end < 0) return text;
      const t = top();
      if (t?.kind === '{' && (t.prev === 'open' || t.prev === 'comma' || t.prev === 'value')) {
        if (t.prev === 'value' && outer()) edits.push({ at: t.valueEnd, insert: true });
        t.prev = 'key';
      } else value(end);
      i = end;
    } else if (c === ':' || c === ',') {
      const t = top();
      if (t !== undefined) {
        t.prev = c === ':' ? 'colon' : 'comma';
        if (c === ',') t.comma = i;
      }
      i++;
    } else if (c === '{' || c === '[') {
      stack.push({ kind: c, prev: 'open', valueEnd: -1, comma: -1 });
      i++;
    } else if (c === '}' || c === ']') {
      if (c === '}' && top()?.prev === 'comma' && outer()) edits.push({ at: top()?.comma ?? -1, insert: false });
      stack.pop();
      i++;
      value(i);
    } else {
      const m = /[^\s,:{}[\]"]+/y;
      m.lastIndex = i;
      if (!m.test(text)) return text;
      i = m.lastIndex;
      value(i);
    }
  }
  let out = text;
  for (const edit of edits.sort((a, b) => b.at - a.at)) {
    out = edit.insert
      ? `${out.slice(0, edit.at)},${out.slice(edit.at)}`
      : out.slice(0, edit.at) + out.slice(edit.at + 1);
  }
  return out;
}

/** Offset just past the closing quote of the string opening at `start`; -1 when it does not close on its line. */
function stringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') i++;
    else if (c === '"') return i + 1;
    else if (c === '\n') return -1;
  }
  return -1;
}
