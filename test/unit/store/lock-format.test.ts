import { describe, expect, it } from 'vitest';
import { LockFileError } from '../../../src/store/errors.js';
import { LockFormatter } from '../../../src/store/lock-format.js';
import { formatLock, parseLock } from '../../../src/store/lock-file.js';
import type { LockEntry, LockFile } from '../../../src/store/types.js';

const entry = (seed: number): LockEntry => ({
  seed,
  key: 'a'.repeat(64),
  input_sha256: 'b'.repeat(64),
  output_sha256: 'c'.repeat(64),
  output: 'out/portrait/jacket.png',
  provider: 'emulator',
  model: 'blackforestlabs/flux-1-kontext/pro/edit',
  request_id: 'req-1',
  finished_at: '2025-01-01T00:00:00.000Z',
});

function parseError(text: string): LockFileError {
  try {
    parseLock(text, 'portrait.lock.json');
  } catch (e) {
    if (e instanceof LockFileError) return e;
    throw e;
  }
  throw new Error('expected a LockFileError');
}

describe('LockFormatter', () => {
  it('writes exactly what formatLock writes, integer-like and odd node ids included', () => {
    const f = new LockFormatter();
    const shared = entry(5);
    const cases: Record<string, LockEntry>[] = [
      {},
      { only: entry(1) },
      {
        b: entry(2),
        a: shared,
        '10': entry(3),
        '9': entry(4),
        'z"q\\': entry(6),
        'é/1': shared,
        '-1': entry(7),
        '01': entry(8),
      },
    ];
    for (const nodes of cases) expect(f.format(nodes)).toBe(formatLock({ version: 1, nodes }));
    // Entries it has formatted before are reused: the text must still be the same.
    expect(f.format({ ...cases[2], c: entry(9) })).toBe(
      formatLock({ version: 1, nodes: { ...cases[2], c: entry(9) } }),
    );
  });
});

describe('LockFormatter.pieces and isText', () => {
  it("pieces join to format()'s text; isText accepts exactly that text", () => {
    const f = new LockFormatter();
    for (const size of [0, 1, 400]) {
      const nodes: Record<string, LockEntry> = {};
      for (let i = 0; i < size; i++) nodes[`pass@item-${i}`] = entry(i);
      const text = formatLock({ version: 1, nodes });
      const pieces = [...f.pieces(nodes)];
      expect(pieces.join('')).toBe(text);
      if (size === 400) expect(pieces.length).toBeGreaterThan(2); // ~180 KB in pieces of ~64 KiB
      expect(f.isText(nodes, text)).toBe(true);
      const others = [`${text} `, text.slice(0, -1), text.replace('"seed": 0', '"seed": 9')];
      for (const other of others.filter((o) => o !== text)) expect(f.isText(nodes, other)).toBe(false);
    }
  });
});

describe('LockFormatter.sameText', () => {
  it('is true exactly when format() would give the same text', () => {
    const f = new LockFormatter();
    const nodes = { a: entry(1), b: entry(2) };
    const cases: Record<string, LockEntry>[] = [
      { a: entry(1), b: entry(2) },
      { b: entry(2), a: entry(1) },
      { a: entry(1), b: entry(3) },
      { a: entry(1) },
      { a: entry(1), b: entry(2), c: entry(3) },
      { a: entry(1), constructor: entry(2) },
      { a: { ...entry(1), request_sha256: 'd'.repeat(64) }, b: entry(2) },
    ];
    for (const other of cases) {
      const same = f.format(nodes) === f.format(other);
      expect(f.sameText(nodes, other)).toBe(same);
      expect(f.sameText(other, nodes)).toBe(same);
    }
    expect(cases.map((other) => f.sameText(nodes, other))).toEqual([true, true, false, false, false, false, false]);
  });
});

describe('formatLock', () => {
  const lock: LockFile = {
    version: 1,
    nodes: { 'umbrella#2': entry(3), background: entry(1), 'umbrella#1': entry(2) },
  };
  const text = formatLock(lock);

  it('puts node ids in sorted order and sorts every key', () => {
    const data = JSON.parse(text) as { nodes: Record<string, Record<string, unknown>> };
    expect(Object.keys(data)).toEqual(['nodes', 'version']);
    expect(Object.keys(data.nodes)).toEqual(['background', 'umbrella#1', 'umbrella#2']);
    const keys = Object.keys(data.nodes.background ?? {});
    expect(keys).toEqual([...keys].sort());
    expect(keys[0]).toBe('finished_at');
  });

  it('is 2-space pretty JSON with a trailing newline', () => {
    expect(text.endsWith('}\n')).toBe(true);
    expect(text.split('\n')[1]).toBe('  "nodes": {');
    expect(text.split('\n')[2]).toBe('    "background": {');
  });

  it('does not depend on insertion order', () => {
    const reordered: LockFile = {
      nodes: { 'umbrella#1': entry(2), background: entry(1), 'umbrella#2': entry(3) },
      version: 1,
    };
    expect(formatLock(reordered)).toBe(text);
  });

  it('round-trips through parseLock', () => {
    expect(formatLock(parseLock(text, 'x.lock.json'))).toBe(text);
  });
});

describe('parseLock errors (exit 65, file:line:col)', () => {
  const valid = formatLock({ version: 1, nodes: { background: entry(1) } });

  it('names the file, line and column of a syntax error', () => {
    const broken = valid.replace('"seed": 1', '"seed": 1,');
    const e = parseError(broken);
    expect(e.exitCode).toBe(65);
    expect(e.code).toBe('E_LOCK_INVALID');
    // "seed" is the entry's last key: the error is the closing brace on the next line.
    const line = broken.split('\n').findIndex((l) => l.includes('"seed": 1,')) + 2;
    expect(e.location).toEqual({ file: 'portrait.lock.json', line, col: 5 });
    expect(e.message).toMatch(new RegExp(`^portrait\\.lock\\.json:${line}:5: invalid JSON: expected a property name`));
  });

  it('recognizes git conflict markers and says what to do', () => {
    const conflicted = `<<<<<<< HEAD\n${valid}=======\n${valid}>>>>>>> other\n`;
    const e = parseError(conflicted);
    expect(e.location).toMatchObject({ line: 1, col: 1 });
    expect(e.hint).toMatch(/conflict markers/);
  });

  it('names the path and line of a shape error', () => {
    const wrong = valid.replace('"seed": 1', '"seed": "one"');
    const e = parseError(wrong);
    const line = wrong.split('\n').findIndex((l) => l.includes('"seed"')) + 1;
    expect(e.message).toContain('nodes.background.seed');
    expect(e.location).toMatchObject({ line, col: 7 });
  });

  it.each([
    ['a newer version', '{"version": 2, "nodes": {}}', 'version'],
    ['an unknown field in an entry', valid.replace('"seed": 1', '"seed": 1, "sead": 2'), 'nodes.background'],
    ['an empty file', '', 'invalid JSON'],
    ['an array', '[]', 'expected object'],
  ])('rejects %s', (_name, text, needle) => {
    expect(parseError(text).message).toContain(needle);
  });

  it('a stray `> note` or `=` line (no opening <<<<<<<) is invalid JSON, not a git conflict', () => {
    for (const stray of ['> note', '=']) {
      const e = parseError(valid.replace('{', `{\n${stray}`));
      expect(e.message).toContain('invalid JSON');
      expect(e.hint).not.toMatch(/conflict/);
    }
    expect(parseError(valid.replace('{', '{\n<<<<<<< HEAD')).hint).toMatch(/git conflict markers/);
  });

  it('accepts a UTF-8 byte order mark', () => {
    expect(parseLock(`\uFEFF${valid}`, 'x').nodes.background?.seed).toBe(1);
  });
});
