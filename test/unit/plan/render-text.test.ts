import { describe, expect, it } from 'vitest';
import { buildPlan, renderPlanText } from '../../../src/plan/index.js';
import { shorten } from '../../../src/plan/render-text.js';
import { designExample, makeRecipe } from './factory.js';

const stripAnsi = (s: string): string => s.replace(/\u001b\[[0-9;]*m/g, '');

describe('shorten (a prompt in the plan)', () => {
  it('cuts by columns between graphemes: an emoji sequence is never split (walk-u 2)', () => {
    const family = '👨‍👩‍👧‍👦';
    expect(shorten(`${'a'.repeat(58)}${family} and more`, 60)).toBe(`${'a'.repeat(58)}…`);
    expect(shorten(`${'a'.repeat(57)}${family} and more`, 60)).toBe(`${'a'.repeat(57)}${family}…`);
    expect(shorten('写真'.repeat(40), 9)).toBe('写真写真…');
  });
});

describe('renderPlanText', () => {
  it('draws the architecture doc example as a tree with its branch and variants', () => {
    expect(renderPlanText(buildPlan(designExample()))).toBe(
      [
        'portrait  assets/portrait.jpg',
        '└─ background  "Keep the person\'s face, pose and clothing unchanged. Replac…"',
        '   └─ jacket  seed 42  "Keep the face, pose and background unchanged. Change her ja…"',
        '      ├─ umbrella  "She is now holding an orange umbrella and smiling"',
        '      └─ umbrella-blue #1..#3  "She is now holding a blue umbrella"',
        '',
        '6 nodes from 1 source (1 input) · critical path depth 3',
        '',
      ].join('\n'),
    );
  });

  it('draws one tree per source, with continuation bars under a non-last branch', () => {
    const plan = buildPlan(
      makeRecipe({ shoes: ['a', 'b'], logo: 'https://cdn.example.com/l.png?sig=SECRET' }, [
        { id: 'p1', from: 'shoes', seed: 4294967295, variants: 2 },
        { id: 'p2', from: 'p1' },
        { id: 'p3', from: 'p2' },
        { id: 'p4', from: 'p1', prompt: 'Multi\n  line   prompt' },
        { id: 'q', from: 'logo' },
      ]),
    );
    expect(renderPlanText(plan)).toBe(
      [
        'shoes  2 instances: a, b',
        '└─ p1 #1..#2  seed 4294967295..0  "Prompt for p1"',
        '   ├─ p2 #1..#2  "Prompt for p2"',
        '   │  └─ p3 #1..#2  "Prompt for p3"',
        '   └─ p4 #1..#2  "Multi line prompt"',
        '',
        'logo  https://cdn.example.com/l.png?…',
        '└─ q  "Prompt for q"',
        '',
        '17 nodes from 2 sources (3 inputs) · critical path depth 3',
        '',
      ].join('\n'),
    );
  });

  it('collapses many glob instances to first three … last', () => {
    const stems = Array.from({ length: 1000 }, (_, i) => `shoe-${String(i + 1).padStart(4, '0')}`);
    const text = renderPlanText(buildPlan(makeRecipe({ shoes: stems }, [{ id: 'clean' }, { id: 'crop' }])));
    expect(text.split('\n')[0]).toBe('shoes  1000 instances: shoe-0001, shoe-0002, shoe-0003, …, shoe-1000');
    expect(text.split('\n')).toHaveLength(6);
    expect(text).toContain('2000 nodes from 1 source (1000 inputs) · critical path depth 2');
  });

  it('stops indenting at 32 levels: a 5,000-pass chain prints lines of bounded width, not megabytes', () => {
    const passes = Array.from({ length: 5000 }, (_, i) => ({ id: `p${i}`, ...(i === 0 ? { from: 'photo' } : {}) }));
    const text = renderPlanText(buildPlan(makeRecipe({ photo: 'photo.jpg' }, passes)));
    const lines = text.split('\n');
    expect(lines).toHaveLength(5000 + 4);
    expect(lines[33]).toBe(`${'   '.repeat(32)}└─ p32  "Prompt for p32"`);
    expect(lines[4000]).toBe(`${'   '.repeat(32)}└─ p3999  "Prompt for p3999"`);
    expect(text.length).toBeLessThan(5000 * 130);
  });

  it('lists up to five instances in full', () => {
    const text = renderPlanText(buildPlan(makeRecipe({ g: ['a', 'b', 'c', 'd', 'e'] }, [{ id: 'p' }])));
    expect(text.split('\n')[0]).toBe('g  5 instances: a, b, c, d, e');
  });

  it('adds ANSI colour only when asked, with the same text underneath', () => {
    const plan = buildPlan(designExample());
    const plain = renderPlanText(plan);
    const coloured = renderPlanText(plan, { color: true });
    expect(plain).not.toContain('\u001b[');
    expect(coloured).toContain('\u001b[');
    expect(stripAnsi(coloured)).toBe(plain);
  });

  it('says so when the plan is empty', () => {
    const plan = buildPlan(makeRecipe({ s: 'a.jpg' }, []));
    expect(renderPlanText(plan)).toBe('(no nodes)\n\n0 nodes from 0 sources (0 inputs) · critical path depth 0\n');
  });
});
