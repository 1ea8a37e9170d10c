/**
 * A lock git left conflicted, read as its two sides (src/store/lock-conflict.ts): plain and diff3
 * hunks, CRLF lines, several hunks, a hunk inside one entry, markers of any length
 * (`conflict-marker-size`), the nested base of a recursive merge, and the commas a line-wise merge
 * leaves wrong between two entries; markers that do not pair up, and a side that is not a lock
 * for any other reason, stay exit 65 at the file's line.
 */
import { describe, expect, it } from 'vitest';
import { LockFileError } from '../../../src/store/errors.js';
import { parseConflictedLock, theirsLabel } from '../../../src/store/lock-conflict.js';
import { formatLock, parseLock } from '../../../src/store/lock-file.js';
import type { LockEntry, LockFile } from '../../../src/store/types.js';

const FILE = 'portrait.lock.json';

const entry = (seed: number, sha = 'c'): LockEntry => ({
  seed,
  key: 'a'.repeat(64),
  input_sha256: 'b'.repeat(64),
  output_sha256: sha.repeat(64),
  output: `out/p/${seed}.png`,
  provider: 'emulator',
  model: 'm',
  request_id: `r${seed}`,
  finished_at: '2025-01-01T00:00:00.000Z',
});

/** The lines of one node's entry as formatLock writes it (no trailing comma). */
function entryLines(id: string, e: LockEntry): string[] {
  const lines = formatLock({ version: 1, nodes: { [id]: e } }).split('\n');
  return lines.slice(2, lines.indexOf('  },'));
}

const sides = (text: string): { ours: LockFile; theirs: LockFile; hunks: number } => {
  const got = parseConflictedLock(text, FILE, parseLock);
  if (got === null) throw new Error('expected a conflict');
  return got;
};

function errorOf(text: string): LockFileError {
  try {
    parseConflictedLock(text, FILE, parseLock);
  } catch (e) {
    if (e instanceof LockFileError) return e;
    throw e;
  }
  throw new Error('expected a LockFileError');
}

const a = entry(1);
const b = entry(2);
const c = entry(3);
const d = entry(4);
const head = ['{', '  "nodes": {'];
const tail = ['  },', '  "version": 1', '}', ''];
const comma = (lines: string[]): string[] => [...lines.slice(0, -1), `${lines[lines.length - 1]},`];

describe('parseConflictedLock', () => {
  it('a lock without markers is not a conflict', () => {
    expect(parseConflictedLock(formatLock({ version: 1, nodes: { a } }), FILE, parseLock)).toBeNull();
  });

  it.each([
    ['plain markers', 7, '\n'],
    ['CRLF lines, markers included', 7, '\r\n'],
    ['markers of another length (conflict-marker-size=3), the opening one fixing the hunk', 3, '\n'],
    ['markers of another length (conflict-marker-size=10)', 10, '\n'],
    ['markers of another length, CRLF (conflict-marker-size=9)', 9, '\r\n'],
  ])('%s: text outside the hunk plus each side', (_name, size, eol) => {
    const m = (c: string, label = ''): string => c.repeat(size) + label;
    const text = [
      ...head,
      ...comma(entryLines('a', a)),
      m('<', ' HEAD'),
      ...entryLines('b', b),
      m('='),
      ...entryLines('c', c),
      m('>', ' other'),
      ...tail,
    ].join(eol);
    const got = sides(text);
    expect(got.hunks).toBe(1);
    expect(got.ours.nodes).toEqual({ a, b });
    expect(got.theirs.nodes).toEqual({ a, c });
  });

  it('diff3 (and zdiff3) style: the ||||||| base section is dropped', () => {
    const text = [
      ...head,
      '<<<<<<< HEAD',
      ...comma(entryLines('a', a)),
      ...entryLines('b', b),
      '||||||| merged common ancestors',
      ...entryLines('a', a),
      '=======',
      ...comma(entryLines('a', a)),
      ...entryLines('c', c),
      '>>>>>>> feature/other',
      ...tail,
    ].join('\n');
    const got = sides(text);
    expect(got.ours.nodes).toEqual({ a, b });
    expect(got.theirs.nodes).toEqual({ a, c });
  });

  it('several hunks, one of them inside a single entry (its seed and request id differ)', () => {
    const b2 = { ...b, seed: 20, request_id: 'r20' };
    const bOurs = entryLines('b', b);
    const bTheirs = entryLines('b', b2);
    // Only the lines that differ are in the hunk; the rest of the entry is shared text.
    const differ = bOurs.map((l, i) => l !== bTheirs[i]);
    const first = differ.indexOf(true);
    const last = differ.lastIndexOf(true);
    const text = [
      ...head,
      '<<<<<<< HEAD',
      ...comma(entryLines('a', a)),
      '=======',
      ...comma(entryLines('a', { ...a, finished_at: '2025-02-02T00:00:00.000Z' })),
      '>>>>>>> other',
      ...bOurs.slice(0, first),
      '<<<<<<< HEAD',
      ...bOurs.slice(first, last + 1),
      '=======',
      ...bTheirs.slice(first, last + 1),
      '>>>>>>> other',
      ...bOurs.slice(last + 1),
      ...tail,
    ].join('\n');
    const got = sides(text);
    expect(got.hunks).toBe(2);
    expect(got.ours.nodes).toEqual({ a, b });
    expect(got.theirs.nodes).toEqual({ a: { ...a, finished_at: '2025-02-02T00:00:00.000Z' }, b: b2 });
  });

  it('a comma missing between two entries, and one before the closing brace, are repaired', () => {
    // Ours ends its hunk with "b" closed by `}` although the shared text goes on with "d".
    const text = [
      ...head,
      ...comma(entryLines('a', a)),
      '<<<<<<< HEAD',
      ...entryLines('b', b),
      '=======',
      ...comma(entryLines('c', c)),
      '>>>>>>> other',
      ...entryLines('d', d),
      ...tail,
    ].join('\n');
    const got = sides(text);
    expect(got.ours.nodes).toEqual({ a, b, d });
    expect(got.theirs.nodes).toEqual({ a, c, d });
    // Ours ends with "b" closed by `},` although nothing follows it in `nodes`.
    const trailing = [
      ...head,
      ...comma(entryLines('a', a)),
      '<<<<<<< HEAD',
      ...comma(entryLines('b', b)),
      '=======',
      ...entryLines('c', c),
      '>>>>>>> other',
      ...tail,
    ].join('\n');
    expect(sides(trailing).ours.nodes).toEqual({ a, b });
    expect(sides(trailing).theirs.nodes).toEqual({ a, c });
  });

  it.each([7, 5])('a recursive merge: the base section holds the virtual base its longer markers nest in (%i)', (n) => {
    // git merge of a criss-cross history, diff3 style (the shape git 2.39 writes): the merge of
    // the two merge bases conflicted too, and sits in the base section with markers 2 longer.
    const m = (c: string, extra = 0): string => c.repeat(n + extra);
    const text = [
      ...head,
      `${m('<')} HEAD`,
      ...entryLines('b', b),
      `${m('|')} merged common ancestors`,
      `${m('<', 2)} Temporary merge branch 1`,
      ...entryLines('c', c),
      `${m('|', 2)} 1a2b3c4`,
      ...entryLines('a', a),
      m('=', 2),
      ...entryLines('b', b),
      `${m('>', 2)} Temporary merge branch 2`,
      m('='),
      ...entryLines('c', c),
      `${m('>')} theirs`,
      ...tail,
    ].join('\n');
    const got = sides(text);
    expect(got.hunks).toBe(1);
    expect(got.ours.nodes).toEqual({ b });
    expect(got.theirs.nodes).toEqual({ c });
  });

  it.each([
    [
      'a longer hunk inside ours',
      ['<<<<<<< HEAD', '<<<<<<<<< x', '=========', '>>>>>>>>> y', '=======', '>>>>>>> z'],
      3,
    ],
    ['a shorter marker in the base', ['<<<<<<<<< HEAD', '||||||| base', '=========', '>>>>>>>>> z'], 3],
    ['a separator of another length', ['<<<<<<< HEAD', '  "nodes": {},', '=========', '>>>>>>> z'], 4],
  ])('a nested conflict kontext cannot split safely (%s) is exit 65 at its line', (_name, body, line) => {
    const e = errorOf(['{', ...body, '}', ''].join('\n'));
    expect(e).toMatchObject({ code: 'E_LOCK_INVALID', exitCode: 65, location: { file: FILE, line, col: 1 } });
    expect(e.message).toMatch(new RegExp(`^${FILE}:${line}:1: git conflict marker .* with markers of \\d+: a nested`));
  });

  it.each([
    ['<<<<<<< without its end', ['<<<<<<< HEAD', '  "nodes": {}', '=======', '  "nodes": {}'], 2, 'never closed'],
    ['======= outside a conflict', ['  "nodes": {},', '=======', '  "version": 1'], 3, 'outside a conflict'],
    ['>>>>>>> before =======', ['<<<<<<< HEAD', '  "nodes": {},', '>>>>>>> other'], 4, 'out of place'],
    ['a nested <<<<<<<', ['<<<<<<< HEAD', '<<<<<<< HEAD', '=======', '>>>>>>> x'], 3, 'inside the conflict'],
  ])('markers that do not pair up (%s) stay exit 65 at their line', (_name, body, line, needle) => {
    const e = errorOf(['{', ...body, '}', ''].join('\n'));
    expect(e).toMatchObject({ code: 'E_LOCK_INVALID', exitCode: 65, location: { file: FILE, line, col: 1 } });
    expect(e.message).toMatch(new RegExp(`^${FILE}:${line}:1: .*${needle}`));
    expect(e.hint).toMatch(/do not pair up/);
  });

  it('a side broken otherwise (an entry cut in half) is exit 65 at the file line, not guessed', () => {
    const lines = entryLines('c', c);
    const text = [
      ...head,
      ...comma(entryLines('a', a)),
      '<<<<<<< HEAD',
      ...entryLines('b', b),
      '=======',
      ...lines.slice(0, 4),
      '>>>>>>> other',
      ...tail,
    ];
    const e = errorOf(text.join('\n'));
    expect(e).toMatchObject({ code: 'E_LOCK_INVALID', exitCode: 65 });
    expect(e.message).toContain('theirs');
    // Theirs fails where its cut entry meets `},` of the nodes object: that line of the file.
    expect(e.location?.line).toBe(text.indexOf('  },') + 1);
  });
});

describe('theirsLabel', () => {
  const hunk = (label: string, marker = 7): string =>
    [
      ...head,
      `${'<'.repeat(marker)} HEAD`,
      ...entryLines('a', a),
      '='.repeat(marker),
      ...entryLines('a', b),
      `${'>'.repeat(marker)} ${label}`,
      ...tail,
    ].join('\n');

  it('is the branch git named on the closing marker, as a command may show it', () => {
    expect(theirsLabel(hunk('origin/y'))).toBe('origin/y');
    expect(theirsLabel(hunk('feature/bag-2.0+x@v1'))).toBe('feature/bag-2.0+x@v1');
    expect(theirsLabel(hunk('y', 9))).toBe('y');
    expect(theirsLabel(hunk('y').replaceAll('\n', '\r\n'))).toBe('y');
  });

  it('is "theirs" for a label a shell or git would read as something else', () => {
    // `git checkout -y -- out/…` would be an option; `--orphan=x` another command altogether.
    expect(theirsLabel(hunk('-y'))).toBe('theirs');
    expect(theirsLabel(hunk('--orphan=x'))).toBe('theirs');
    expect(theirsLabel(hunk('y;rm'))).toBe('theirs');
    expect(theirsLabel(hunk('$(id)'))).toBe('theirs');
    expect(theirsLabel(hunk('1a2b3c (a commit being rebased)'))).toBe('theirs');
    expect(theirsLabel(hunk('x'.repeat(201)))).toBe('theirs');
  });
});
