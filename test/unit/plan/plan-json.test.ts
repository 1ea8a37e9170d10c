import { describe, expect, it } from 'vitest';
import { buildPlan, planJsonSchema, planToJson } from '../../../src/plan/index.js';
import { DIR, designExample, makeRecipe } from './factory.js';

describe('planToJson', () => {
  const json = planToJson(buildPlan(designExample()));

  it('has the wire shape, in a stable key order', () => {
    expect(Object.keys(json)).toEqual(['recipe', 'nodes', 'edges', 'critical_path_depth']);
    expect(json.recipe).toEqual({
      name: 'test',
      file: `${DIR}/test.yml`,
      provider: 'emulator',
      out_dir: '/proj/out/test',
    });
    expect(Object.keys(json.nodes[0] ?? {})).toEqual([
      'id',
      'pass',
      'source',
      'instance',
      'variant',
      'input',
      'input_source',
      'prompt',
      'seed',
      'aspect_ratio',
      'model',
      'params',
      'save',
      'depth',
      'picked',
    ]);
    expect(json.critical_path_depth).toBe(3);
    expect(json.edges[0]).toEqual(['background', 'jacket']);
  });

  it('gives roots an input_source and others an input node id', () => {
    expect(json.nodes[0]).toMatchObject({
      id: 'background',
      input: null,
      input_source: { source: 'portrait', instance: null, path: `${DIR}/assets/portrait.jpg` },
    });
    expect(json.nodes.find((n) => n.id === 'umbrella-blue#3')).toMatchObject({
      input: 'jacket',
      input_source: null,
      variant: 3,
      seed: null,
      depth: 3,
      aspect_ratio: null,
    });
    expect(json.nodes.find((n) => n.id === 'jacket')).toMatchObject({ seed: 42, save: null });
  });

  it('round-trips through JSON and satisfies the strict schema', () => {
    const glob = planToJson(
      buildPlan(
        makeRecipe({ g: ['x', 'y'], u: 'https://example.com/a.png' }, [
          { id: 'p', from: 'g', variants: 2, seed: 1, aspectRatio: '1:1', params: { steps: 20 } },
          { id: 'q', from: 'u', save: '/proj/final/{source}.{ext}' },
        ]),
      ),
    );
    for (const value of [json, glob]) {
      const parsed = planJsonSchema.parse(JSON.parse(JSON.stringify(value)));
      expect(parsed).toEqual(value);
    }
    expect(glob.nodes.find((n) => n.id === 'q')?.input_source).toEqual({
      source: 'u',
      instance: null,
      url: 'https://example.com/a.png',
    });
    expect(glob.nodes[1]).toMatchObject({
      id: 'p@x#2',
      instance: 'x',
      seed: 2,
      params: { steps: 20 },
      aspect_ratio: '1:1',
    });
  });

  it('the schema rejects unknown keys', () => {
    const broken = { ...json, extra: true };
    expect(planJsonSchema.safeParse(broken).success).toBe(false);
  });
});
