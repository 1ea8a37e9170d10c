import { describe, expect, it } from 'vitest';
import { buildPlan, mermaidId, renderPlanMermaid } from '../../../src/plan/index.js';
import { designExample, makeRecipe } from './factory.js';

const IDENT = /^[A-Za-z][A-Za-z0-9_]*$/;

describe('renderPlanMermaid', () => {
  const text = renderPlanMermaid(buildPlan(designExample()));
  const lines = text.trimEnd().split('\n');

  it('is a flowchart with a source cylinder, labelled nodes and every edge', () => {
    expect(lines[0]).toBe('flowchart LR');
    expect(lines).toContain('  s_portrait[("portrait")]');
    expect(lines).toContain('  n_umbrella_hblue_v2["umbrella-blue#35;2<br/>She is now holding a blue umbrella"]');
    for (const edge of [
      's_portrait --> n_background',
      'n_background --> n_jacket',
      'n_jacket --> n_umbrella',
      'n_jacket --> n_umbrella_hblue_v1',
      'n_jacket --> n_umbrella_hblue_v3',
    ])
      expect(lines).toContain(`  ${edge}`);
    expect(lines.filter((l) => l.includes(' --> '))).toHaveLength(6);
  });

  it('uses only safe identifiers, and declares each before its edges', () => {
    const declared = new Set<string>();
    for (const line of lines.slice(1)) {
      const edge = /^ {2}(\S+) --> (\S+)$/.exec(line);
      if (edge) {
        for (const id of [edge[1] ?? '', edge[2] ?? '']) expect(declared.has(id), id).toBe(true);
        continue;
      }
      const decl = /^ {2}([^[\s]+)\[/.exec(line);
      expect(decl, line).not.toBeNull();
      const id = decl?.[1] ?? '';
      expect(id).toMatch(IDENT);
      declared.add(id);
    }
  });

  it('escapes labels so quotes and brackets cannot break the syntax', () => {
    const plan = buildPlan(makeRecipe({ odd: ['a "b" <c> & #1'] }, [{ id: 'p', prompt: 'Say "hi" <b>' }]));
    const out = renderPlanMermaid(plan);
    expect(out).toContain(
      's_odd_aa_u20__u22_b_u22__u20__u3c_c_u3e__u20__u26__u20__v1[("odd@a #quot;b#quot; #lt;c#gt; #38; #35;1")]',
    );
    expect(out).toContain('<br/>Say #quot;hi#quot; #lt;b#gt;"]');
  });
});

describe('mermaidId', () => {
  it('is injective on ids that look alike', () => {
    const raws = ['a-b', 'a_b', 'a__b', 'a_hb', 'a@b', 'a#b', 'a_ab', 'a b', 'a.b', 'ab'];
    const out = raws.map((r) => mermaidId('node', r));
    expect(new Set(out).size).toBe(raws.length);
    for (const id of out) expect(id).toMatch(IDENT);
  });

  it('keeps node and source ids apart', () => {
    expect(mermaidId('node', 'x')).not.toBe(mermaidId('source', 'x'));
  });
});
