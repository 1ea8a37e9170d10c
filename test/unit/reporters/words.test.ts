import { describe, expect, it } from 'vitest';
import { NodePhase, RunReason } from '../../../src/run/events.js';
import { phaseWords, reasonWords, skipWords } from '../../../src/cli/reporters/index.js';

describe('reasonWords', () => {
  it.each([
    ['new', 'new'],
    ['prompt-changed', 'prompt changed'],
    ['params-changed', 'params changed'],
    ['seed-changed', 'seed changed'],
    ['model-changed', 'model changed'],
    ['provider-changed', 'provider changed'],
    ['input-changed', 'input changed (source file or upstream output changed)'],
    ['request-changed', 'prompt or params changed'],
    ['forced', 'forced'],
    ['not-cached', 'not in cache'],
    ['reattach', 're-attaching to a paid request'],
  ] as const)('%s → %s', (reason, words) => {
    expect(reasonWords(reason)).toBe(words);
  });

  it('gives every reason in the schema distinct words, never the raw enum spelling', () => {
    const words = RunReason.options.map((r) => reasonWords(r));
    expect(new Set(words).size).toBe(RunReason.options.length);
    for (const r of RunReason.options.filter((o) => o.includes('-'))) expect(reasonWords(r)).not.toBe(r);
  });
});

describe('phaseWords and skipWords', () => {
  it.each([
    [{ phase: 'hosting' }, 'hosting input'],
    [{ phase: 'submitting' }, 'submitting'],
    [{ phase: 'queued' }, 'queued'],
    [{ phase: 'queued', position: 3 }, 'queued #3'],
    [{ phase: 'running' }, 'running'],
    [{ phase: 'downloading' }, 'downloading'],
    [{ phase: 'downloading', bytes: 420, total: 1000 }, 'downloading 42%'],
    [{ phase: 'downloading', bytes: 1_500_000 }, 'downloading 1.5 MB'],
    [{ phase: 'reattaching' }, 're-attaching'],
  ] as const)('%o → %s', (state, words) => {
    expect(phaseWords(state)).toBe(words);
  });

  it('has words for every phase and skip reason', () => {
    for (const p of NodePhase.options) expect(phaseWords({ phase: p }).length).toBeGreaterThan(0);
    expect(skipWords('upstream-failed')).toBe('upstream failed');
    expect(skipWords('stopped')).toBe('stopped after a failure');
    expect(skipWords('interrupted')).toBe('interrupted');
  });
});
