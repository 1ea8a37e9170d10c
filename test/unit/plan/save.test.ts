import { describe, expect, it } from 'vitest';
import { fillSave } from '../../../src/plan/index.js';

describe('fillSave', () => {
  const cases = [
    { template: 'final/{source}.{ext}', variant: null, expected: 'final/portrait.{ext}' },
    { template: 'final/{pass}/{source}.{ext}', variant: null, expected: 'final/jacket/portrait.{ext}' },
    { template: 'final/{source}-{variant}.{ext}', variant: 2, expected: 'final/portrait-2.{ext}' },
    // Without variants, {variant} takes one neighbouring separator with it.
    { template: 'final/{source}-{variant}.{ext}', variant: null, expected: 'final/portrait.{ext}' },
    { template: 'final/{source}_{variant}_x.{ext}', variant: null, expected: 'final/portrait_x.{ext}' },
    { template: 'final/{source}.{variant}.{ext}', variant: null, expected: 'final/portrait.{ext}' },
    { template: 'final/{variant}-{source}.{ext}', variant: null, expected: 'final/portrait.{ext}' },
    { template: 'final/{variant}-{source}.{ext}', variant: 3, expected: 'final/3-portrait.{ext}' },
    { template: 'final/{variant}/{source}.{ext}', variant: null, expected: 'final//portrait.{ext}' },
    { template: 'v{variant}/{pass}{variant}.{ext}', variant: 1, expected: 'v1/jacket1.{ext}' },
    { template: 'no-placeholders.png', variant: 4, expected: 'no-placeholders.png' },
  ];
  it.each(cases)('$template (variant $variant)', ({ template, variant, expected }) => {
    expect(fillSave(template, { source: 'portrait', pass: 'jacket', variant })).toBe(expected);
  });

  it('never re-expands placeholders that appear inside filled values', () => {
    expect(fillSave('{source}/{pass}', { source: '{pass}', pass: '$&', variant: null })).toBe('{pass}/$&');
  });
});
