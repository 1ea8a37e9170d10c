/**
 * A lock file git left with conflict markers, read as its two sides (docs/architecture.md#cache-lock-and-journal):
 * "ours" is the text outside the hunks plus each hunk's part before `=======` (or before a diff3
 * `|||||||` base section, which is dropped), "theirs" the same with each hunk's part after it.
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
}

/** lock-file.ts's `parseLock` (passed in: that file reads conflicted locks through this one). */
type ParseLock = (text: string, file: string) => LockFile;

interface SideText {
  readonly lines: string[];
  /** The file's line number (1-based) of each line of the side. */
  readonly at: number[];
}

const OPEN = /^<{7}(?:[ \t].*)?$/;
const BASE = /^\|{7}(?:[ \t].*)?$/;
const SEP = /^={7}[ \t]*$/;
const CLOSE = /^>{7}(?:[ \t].*)?$/;

const MARKERS_HINT =
  'the git conflict markers do not pair up (<<<<<<<, optional |||||||, =======, >>>>>>>), so the two sides ' +
  'cannot be told apart: fix the markers, or take one side whole (git checkout --ours or --theirs on the lock)';

/** Whether the text holds a line that is a git conflict marker (a lock kontext writes never does). */
export function hasConflictMarkers(text: string): boolean {
  return /^(?:<{7}|\|{7}|={7}|>{7})(?:[ \t\r]|$)/m.test(text);
}

/** The two sides of a conflicted lock, each parsed; null when the text has no conflict hunk. */
export function parseConflictedLock(text: string, file: string, parseLock: ParseLock): LockSides | null {
  const split = splitSides(text, file);
  if (split === null) return null;
  return {
    ours: parseSide(split.ours, file, 'ours (before =======)', parseLock),
    theirs: parseSide(split.theirs, file, 'theirs (after =======)', parseLock),
    hunks: split.hunks,
  };
}

type State = 'out' | 'ours' | 'base' | 'theirs';

function splitSides(text: string, file: string): { ours: SideText; theirs: SideText; hunks: number } | null {
  const ours: SideText = { lines: [], at: [] };
  const theirs: SideText = { lines: [], at: [] };
  const lines = text.split('\n');
  let state: State = 'out';
  let opened = 0;
  let hunks = 0;
  const fail = (n: number, what: string): never => {
    throw new LockFileError(`${file}:${n}:1: ${what}`, { hint: MARKERS_HINT, location: { file, line: n, col: 1 } });
  };
  for (const [i, raw] of lines.entries()) {
    const n = i + 1;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (OPEN.test(line)) {
      if (state !== 'out') fail(n, `git conflict marker <<<<<<< inside the conflict opened at line ${opened}`);
      state = 'ours';
      opened = n;
      hunks++;
    } else if (BASE.test(line)) {
      if (state !== 'ours') fail(n, `git conflict marker ||||||| ${where(state, opened)}`);
      state = 'base';
    } else if (SEP.test(line)) {
      if (state !== 'ours' && state !== 'base') fail(n, `git conflict marker ======= ${where(state, opened)}`);
      state = 'theirs';
    } else if (CLOSE.test(line)) {
      if (state !== 'theirs') fail(n, `git conflict marker >>>>>>> ${where(state, opened)}`);
      state = 'out';
    } else {
      if (state === 'out' || state === 'ours') push(ours, raw, n);
      if (state === 'out' || state === 'theirs') push(theirs, raw, n);
    }
  }
  if (state !== 'out') fail(opened, 'git conflict opened here is never closed by >>>>>>>');
  return hunks === 0 ? null : { ours, theirs, hunks };
}

function where(state: State, opened: number): string {
  return state === 'out'
    ? 'outside a conflict (no <<<<<<< before it)'
    : `out of place in the conflict opened at line ${opened}`;
}

function push(side: SideText, line: string, n: number): void {
  side.lines.push(line);
  side.at.push(n);
}

/** One side as a lock; its errors name the file's line (the side's lines keep their order and count). */
function parseSide(side: SideText, file: string, name: string, parseLock: ParseLock): LockFile {
  const text = side.lines.join('\n');
  try {
    return parseLock(text, file);
  } catch {
    // A comma missing or repeated between two entries: repaired, and the whole side parsed again.
  }
  try {
    return parseLock(repairCommas(text), file);
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
