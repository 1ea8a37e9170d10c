/**
 * The hand check of a lock (lock-check.ts) accepts only what LockFileSchema accepts, and gives
 * exactly what its parse gives (keys and their order); anything else is left to zod (null).
 */
import { describe, expect, it } from 'vitest';
import { quickLock } from '../../../src/store/lock-check.js';
import { LockFileSchema } from '../../../src/store/schemas.js';

const h = (c: string) => c.repeat(64);
const base = (): Record<string, unknown> => ({
  seed: 5,
  key: h('a'),
  input_sha256: h('b'),
  output_sha256: h('c'),
  output: 'out/a.png',
  provider: 'emulator',
  model: 'm',
  request_id: 'r',
  finished_at: '2026-01-01T00:00:00.000Z',
});
const variant = (change: (e: Record<string, unknown>) => void) => {
  const e = base();
  change(e);
  return e;
};

const ENTRIES = {
  plain: variant(() => undefined),
  requestSha: variant((e) => Object.assign(e, { request_sha256: h('d') })),
  badRequestSha: variant((e) => Object.assign(e, { request_sha256: 'x' })),
  undefinedRequestSha: variant((e) => Object.assign(e, { request_sha256: undefined })),
  negativeSeed: variant((e) => Object.assign(e, { seed: -1 })),
  fractionSeed: variant((e) => Object.assign(e, { seed: 1.5 })),
  hugeSeed: variant((e) => Object.assign(e, { seed: 2 ** 53 })),
  stringSeed: variant((e) => Object.assign(e, { seed: '1' })),
  extraKey: variant((e) => Object.assign(e, { extra: 1 })),
  noFinishedAt: variant((e) => delete e['finished_at']),
  upperHash: variant((e) => Object.assign(e, { key: h('A') })),
  numberOutput: variant((e) => Object.assign(e, { output: 3 })),
  emptyModel: variant((e) => Object.assign(e, { model: '' })),
  escapeOutput: variant((e) => Object.assign(e, { output: 'out/\u001b[2J.png' })),
  nulOutput: variant((e) => Object.assign(e, { output: 'out/a.png\u0000.txt' })),
  bellRequestId: variant((e) => Object.assign(e, { request_id: 'r\u0007' })),
  c1Model: variant((e) => Object.assign(e, { model: 'm\u009b2J' })),
  bidiOutput: variant((e) => Object.assign(e, { output: 'out/\u202Egnp.exe' })),
  zwspModel: variant((e) => Object.assign(e, { model: 'm\u200B' })),
  tagRequestId: variant((e) => Object.assign(e, { request_id: 'r\u{E0041}' })),
  persianOutput: variant((e) => Object.assign(e, { output: 'out/\u0645\u06CC\u200C\u062E/a.png' })),
  seedLast: (() => {
    const { seed, ...rest } = base();
    return { ...rest, seed };
  })(),
};

function agrees(data: unknown): boolean {
  const quick = quickLock(data);
  const parsed = LockFileSchema.safeParse(data);
  if (quick === null) return true; // left to zod
  expect(parsed.success).toBe(true);
  expect(JSON.stringify(quick)).toBe(JSON.stringify(parsed.data));
  return false;
}

describe('quickLock', () => {
  it('takes the fast path for well-formed locks and agrees with zod on every entry shape', () => {
    const fast = Object.entries(ENTRIES).filter(
      ([, e]) => !agrees({ version: 1, nodes: { a: e } }) && !agrees({ nodes: { b: base(), a: e }, version: 1 }),
    );
    expect(fast.map(([name]) => name)).toEqual(['plain', 'requestSha', 'emptyModel', 'persianOutput', 'seedLast']);
  });

  it('leaves anything unusual at the top level to zod', () => {
    const proto = JSON.parse(`{"version":1,"nodes":{"__proto__":${JSON.stringify(base())}}}`);
    for (const data of [null, [], { version: 2, nodes: {} }, { version: 1 }, { version: 1, nodes: [] }, proto])
      expect(quickLock(data)).toBeNull();
    expect(quickLock({ version: 1, nodes: {}, x: 1 })).toBeNull();
    expect(quickLock({ version: 1, nodes: {} })).toEqual({ version: 1, nodes: {} });
  });

  it('refuses control, bidi and invisible characters in node ids and strings, on both paths', () => {
    const refused = [
      'escapeOutput',
      'nulOutput',
      'bellRequestId',
      'c1Model',
      'bidiOutput',
      'zwspModel',
      'tagRequestId',
    ] as const;
    for (const name of refused) {
      const data = { version: 1, nodes: { a: ENTRIES[name] } };
      expect(quickLock(data), name).toBeNull();
      expect(LockFileSchema.safeParse(data).success, name).toBe(false);
    }
    const evilId = { version: 1, nodes: { 'a\u001b]0;title\u0007': base() } };
    expect(quickLock(evilId)).toBeNull();
    expect(LockFileSchema.safeParse(evilId).success).toBe(false);
    const bidiId = { version: 1, nodes: { 'a\u2067b': base() } };
    expect(quickLock(bidiId)).toBeNull();
    expect(LockFileSchema.safeParse(bidiId).success).toBe(false);
  });

  it('refuses bidi controls and invisible characters in node ids and strings too (kontext writes none)', () => {
    for (const name of ['bidiOutput', 'zwspModel', 'tagRequestId'] as const) {
      const data = { version: 1, nodes: { a: ENTRIES[name] } };
      expect(quickLock(data), name).toBeNull();
      expect(LockFileSchema.safeParse(data).error?.issues[0]?.message, name).toMatch(/bidi or invisible/);
    }
    // `backdrop@` + RIGHT-TO-LEFT OVERRIDE + `gnp.exe` reads as backdrop@exe.png in a terminal.
    for (const id of ['backdrop@\u202egnp.exe', 'a\u200bb', 'a\ufeff']) {
      const data = { version: 1, nodes: { [id]: base() } };
      expect(quickLock(data), id).toBeNull();
      expect(LockFileSchema.safeParse(data).success, id).toBe(false);
    }
    // What real names hold still passes, on the fast path.
    expect(quickLock({ version: 1, nodes: { 'pass@café-日本-😀': base() } })).not.toBeNull();
  });
});
