/**
 * `kontext plan --json`: the plan on the wire. snake_case keys in a fixed order; the zod
 * schema is the contract (tests parse every output with it, and it can be published with
 * `z.toJSONSchema(planJsonSchema)`).
 */
import { z } from 'zod';
import type { NodeInput, Plan, PlanNode } from './types.js';

const inputSourceSchema = z
  .strictObject({
    source: z.string().describe('Root source name'),
    instance: z.string().nullable().describe('Glob instance (file stem), null for a plain source'),
    path: z.string().optional().describe('Absolute path of a local file'),
    url: z.string().optional().describe('Remote URL the provider fetches itself'),
  })
  .describe('The source file or URL a root node reads');

const planNodeJsonSchema = z.strictObject({
  id: z.string().describe('Node id: pass, pass@instance, pass#k, pass@instance#k'),
  pass: z.string(),
  source: z.string().describe('Root source this node descends from'),
  instance: z.string().nullable().describe('Glob instance, null when the source is not a glob'),
  variant: z.number().int().min(1).nullable().describe('1-based variant, null when none'),
  input: z.string().nullable().describe('Id of the node whose output is the input; null for roots'),
  input_source: inputSourceSchema.nullable().describe('The source input of a root node; null otherwise'),
  prompt: z.string(),
  seed: z
    .number()
    .int()
    .min(0)
    .max(4294967295)
    .nullable()
    .describe('Fixed seed (variant offset applied); null when taken from the lock or drawn'),
  aspect_ratio: z.string().nullable(),
  model: z.string(),
  params: z.record(z.string(), z.unknown()).describe('Extra provider fields, passed through'),
  save: z.string().nullable().describe('Extra copy path; {ext} is filled by the runner'),
  depth: z.number().int().min(1).describe('Distance from a root; roots are 1'),
  picked: z.boolean().describe("True on the variant its pass's pick: chose (the one passes after it take)"),
});

export const planJsonSchema = z.strictObject({
  recipe: z.strictObject({
    name: z.string(),
    file: z.string(),
    provider: z.string(),
    out_dir: z.string(),
  }),
  nodes: z.array(planNodeJsonSchema).describe('In topological order'),
  edges: z.array(z.tuple([z.string(), z.string()])).describe('[from, to] node id pairs'),
  critical_path_depth: z.number().int().min(0),
});

export type PlanJson = z.infer<typeof planJsonSchema>;
type PlanNodeJson = z.infer<typeof planNodeJsonSchema>;

export function planToJson(plan: Plan): PlanJson {
  const { recipe } = plan;
  return {
    recipe: { name: recipe.name, file: recipe.file, provider: recipe.provider, out_dir: recipe.outDir },
    nodes: plan.nodes.map(nodeToJson),
    edges: plan.edges.map(([from, to]) => [from, to]),
    critical_path_depth: plan.criticalPathDepth,
  };
}

function nodeToJson(node: PlanNode): PlanNodeJson {
  return {
    id: node.id,
    pass: node.pass,
    source: node.source,
    instance: node.instance,
    variant: node.variant,
    input: node.input.kind === 'node' ? node.input.id : null,
    input_source: node.input.kind === 'source' ? inputSourceToJson(node.input) : null,
    prompt: node.prompt,
    seed: node.seed,
    aspect_ratio: node.aspectRatio,
    model: node.model,
    params: { ...node.params },
    save: node.save,
    depth: node.depth,
    picked: node.picked === true,
  };
}

function inputSourceToJson(input: Extract<NodeInput, { kind: 'source' }>): PlanNodeJson['input_source'] {
  return {
    source: input.source,
    instance: input.instance,
    ...(input.path === undefined ? {} : { path: input.path }),
    ...(input.url === undefined ? {} : { url: input.url }),
  };
}
