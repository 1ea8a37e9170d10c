/**
 * The output-collision rule: no two nodes write one file, whatever the templates look like.
 * Each case here validated as "ok" before the rule, and the run then paid for a node whose
 * file another node had written (exit 65 on that run and every run after).
 */
import { describe, expect, it } from 'vitest';
import { outputCollisions } from '../../../src/recipe/rules/output-collisions.js';
import { runRules } from '../../../src/recipe/rules/index.js';
import { brief, contextFrom, run, withHead as p } from './rule-context.js';

const pass = (id: string, extra = ''): string => `  - id: ${id}\n    prompt: x\n${extra}`;

describe('output-collision', () => {
  it("a save: landing on another pass's default output names both nodes", () => {
    const problems = run(outputCollisions, p(pass('tint') + pass('frame', '    save: out/r/tint/photo.{ext}\n')));
    expect(problems.map(brief)).toEqual(['output-collision@9:11']);
    expect(problems[0]?.message).toBe(
      'passes[1].save: node "frame" (save: path out/r/tint/photo.{ext}) would write the same file as ' +
        'node "tint" (output out/r/tint/photo.{ext})',
    );
    expect(problems[0]?.hint).toContain('"tint" is passes[0] on line 5');
  });

  it('the save: is blamed even when it comes first', () => {
    const text = p(pass('frame', '    save: out/r/tint/photo.png\n') + pass('tint', '    from: photo\n'));
    expect(run(outputCollisions, text).map(brief)).toEqual(['output-collision@7:11']);
  });

  it('a {pass} template filled into another pass literal path', () => {
    const text = p(pass('tint', '    save: final/{pass}.{ext}\n') + pass('frame', '    save: final/tint.{ext}\n'));
    expect(run(outputCollisions, text).map(brief)).toEqual(['output-collision@10:11']);
  });

  it('templates spelled differently: ./, //, case, Unicode form', () => {
    for (const [a, b] of [
      ['final/{source}.{ext}', './final/{source}.{ext}'],
      ['final/{source}.{ext}', 'final//{source}.{ext}'],
      ['final/{source}.{ext}', 'Final/PHOTO.{ext}'],
      ['caf\u00e9/{source}.{ext}', 'cafe\u0301/{source}.{ext}'],
      ['final/{source}.{ext}', 'final/photo.PNG'],
    ]) {
      const text = p(pass('a', `    save: "${a}"\n`) + pass('b', `    save: "${b}"\n`));
      expect(run(outputCollisions, text).map(brief), `${a} / ${b}`).toEqual(['output-collision@10:11']);
    }
  });

  it('a save: onto the output of a variant, or of a glob instance', () => {
    const variants = p(pass('a', '    variants: 2\n') + pass('b', '    from: photo\n    save: out/r/a/photo-v2.jpg\n'));
    expect(run(outputCollisions, variants).map(brief)).toEqual(['output-collision@11:11']);
    const globbed = p(pass('a') + pass('b', '    from: photo\n    save: out/r/a/f1.{ext}\n'));
    expect(run(outputCollisions, globbed, { globs: { photo: 3 } }).map(brief)).toEqual(['output-collision@10:11']);
  });

  it('{variant} and {source} running together within one pass (x{variant}{source}: 1+1a = 11+a)', () => {
    const source = p(pass('a', '    variants: 11\n    save: "x{variant}{source}.{ext}"\n'));
    const text = source.replace('photo: a.jpg', 'photo: "*.jpg"');
    const ctx = contextFrom(text, { globs: { photo: 1 } });
    // Two instances named `a` and `1a`: variant 11 of `a` and variant 1 of `1a` are both x11a.
    const glob = ctx.sources.get('photo');
    if (glob === undefined) throw new Error('no source');
    const sources = new Map([['photo', { ...glob, instances: [{ instance: 'a' }, { instance: '1a' }] }]]);
    expect(outputCollisions({ ...ctx, sources }).map(brief)).toEqual(['output-collision@8:11']);
  });

  it('distinct files are fine: different extensions, {pass}, {source}, {variant}, a node onto its own output', () => {
    const ok = [
      p(pass('a', '    save: final/x.png\n') + pass('b', '    save: final/x.jpg\n')),
      p(pass('a', '    save: final/x\n') + pass('b', '    save: final/x.{ext}\n')),
      p(pass('a', '    save: final/{pass}.{ext}\n') + pass('b')),
      p(
        pass('a', '    variants: 3\n    save: final/{variant}.{ext}\n') +
          pass('b', '    save: out/r/{pass}/{source}-{variant}.{ext}\n'),
      ),
      p(pass('a', '    save: out/r/a/photo.{ext}\n')),
    ];
    for (const text of ok) expect(run(outputCollisions, text), text).toEqual([]);
  });

  it('a picked variant is the only one downstream nodes are named after', () => {
    const text = p(
      pass('a', '    variants: 3\n    pick: 2\n') +
        pass('b') +
        pass('c', '    from: photo\n    save: out/r/b/photo-v1.{ext}\n'),
    );
    expect(run(outputCollisions, text)).toEqual([]);
    const clash = text.replace('photo-v1', 'photo-v2');
    expect(run(outputCollisions, clash).map(brief)).toEqual(['output-collision@14:11']);
  });

  it('what the save-collision rule reports is not reported twice', () => {
    const fan = p(pass('a', '    save: final/x.{ext}\n'));
    expect(run(outputCollisions, fan, { globs: { photo: 3 } })).toEqual([]);
    const shared = p(pass('a', '    save: final/x.{ext}\n') + pass('b', '    save: final/x.{ext}\n'));
    expect(run(outputCollisions, shared)).toEqual([]);
    expect(runRules(contextFrom(shared)).map(brief)).toEqual(['save-collision@10:11']);
  });

  it('stays linear on 64,000 nodes saved onto one name', () => {
    const text = p(
      pass('a', '    variants: 64\n    save: final/{variant}.{ext}\n') + pass('b', '    save: final/1.{ext}\n'),
    );
    // 64,000 nodes per pass; without the bound on each name's list this is quadratic (minutes).
    const problems = run(outputCollisions, text, { globs: { photo: 1000 } });
    expect(problems.map(brief)).toEqual(['output-collision@11:11']);
  });
});
