/**
 * A lock from someone else holding a bidi control, an invisible character or a control character in
 * a node id or an entry's string: refused as a recipe's name would be, exit 65 at the character's
 * line:col in the lock (node ids and output paths are printed by status, clean and a merge).
 */
import { describe, expect, it } from 'vitest';
import { LockFileError } from '../../../src/store/errors.js';
import { formatLock, parseLock } from '../../../src/store/lock-file.js';
import { quickLock } from '../../../src/store/lock-check.js';
import type { LockEntry } from '../../../src/store/types.js';

const FILE = 'portrait.lock.json';
const PERSIAN = '\u0645\u06CC\u200C\u062E\u0648\u0627\u0647\u0645';

const entry = (change: Partial<LockEntry> = {}): LockEntry => ({
  seed: 1,
  key: 'a'.repeat(64),
  input_sha256: 'b'.repeat(64),
  output_sha256: 'c'.repeat(64),
  output: 'out/hat/cat.png',
  provider: 'emulator',
  model: 'flux-kontext-pro',
  request_id: 'req-1',
  finished_at: '2025-01-01T00:00:00.000Z',
  ...change,
});

function refusal(text: string): LockFileError {
  try {
    parseLock(text, FILE);
  } catch (e) {
    if (e instanceof LockFileError) return e;
    throw e;
  }
  throw new Error('expected a LockFileError');
}

/** 1-based line and column of the first `needle` in `text`, plus `ahead` characters. */
function at(text: string, needle: string, ahead = 0): { line: number; col: number } {
  const offset = text.indexOf(needle) + ahead;
  const before = text.slice(0, offset);
  return { line: before.split('\n').length, col: offset - before.lastIndexOf('\n') };
}

describe('a lock holding hidden characters', () => {
  it.each([
    [
      'a bidi override in a node id',
      { 'hat@a\u202Eb': entry() },
      '"hat@a',
      6,
      'node id "hat@a\\u{202E}b" holds U+202E (RIGHT-TO-LEFT OVERRIDE)',
    ],
    [
      'a zero-width space in an output path',
      { hat: entry({ output: 'out/hat/cat\u200B.png' }) },
      '"out/hat/',
      12,
      'node "hat": output holds U+200B (ZERO WIDTH SPACE)',
    ],
    [
      'an isolate in a model',
      { hat: entry({ model: 'flux\u2066-pro' }) },
      '"flux',
      5,
      'node "hat": model holds U+2066 (LEFT-TO-RIGHT ISOLATE)',
    ],
    [
      'a tag letter in a request id',
      { hat: entry({ request_id: 'req\u{E0069}' }) },
      ': "req',
      6,
      'node "hat": request_id holds U+E0069 (TAG LATIN SMALL LETTER I)',
    ],
    [
      'a direction mark in a provider',
      { hat: entry({ provider: 'emu\u200Flator' }) },
      '"emu',
      4,
      'node "hat": provider holds U+200F (RIGHT-TO-LEFT MARK)',
    ],
    [
      'an escape after an escaped quote (JSON escapes counted)',
      { hat: entry({ output: 'out/"\u001b[2J.png' }) },
      '"out/\\"',
      7,
      'node "hat": output holds U+001B (a control character)',
    ],
  ])('%s: exit 65 at the character', (_what, nodes, needle, ahead, said) => {
    const text = formatLock({ version: 1, nodes });
    const e = refusal(text);
    expect(e.exitCode).toBe(65);
    expect(e.location).toEqual({ file: FILE, ...at(text, needle, ahead) });
    const { line, col } = at(text, needle, ahead);
    expect(e.message.startsWith(`${FILE}:${line}:${col}: ${said}`), e.message).toBe(true);
    expect(e.message).toContain('which kontext never writes in a lock');
    expect(e.message).not.toMatch(/[\u202E\u200B\u2066\u200F\u{E0069}]/u);
  });

  it('written as a JSON escape (\\u202e): refused too, at its key', () => {
    const text = formatLock({ version: 1, nodes: { hat: entry() } }).replace('"flux-kontext-pro"', '"flux\\u202e"');
    const e = refusal(text);
    expect(e.message).toContain('node "hat": model holds U+202E');
    expect(e.location).toEqual({ file: FILE, ...at(text, '"model"') });
  });

  it('a Persian output folder with its ZWNJ inside a word is a name like any other (the fast path too)', () => {
    const lock = { version: 1 as const, nodes: { hat: entry({ output: `${PERSIAN}/hat/cat.png` }) } };
    expect(parseLock(formatLock(lock), FILE)).toEqual(lock);
    expect(quickLock(JSON.parse(formatLock(lock)))).toEqual(lock);
    const astray = { version: 1 as const, nodes: { hat: entry({ output: `${PERSIAN}\u200C/hat/cat.png` }) } };
    expect(refusal(formatLock(astray)).message).toContain('output holds U+200C (ZERO WIDTH NON-JOINER)');
  });
});
