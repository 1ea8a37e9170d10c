/**
 * Which pass and variant a `kontext pick` node id names: `bag#2`, or an instance's node
 * `bag@product-1#2` (the pick is still per pass). Refuses, with a suggestion, a node the plan
 * does not have, a pass without variants, or a node whose variants come from further up.
 */
import { UsageError } from '../errors.js';
import type { Plan, PlanNode } from '../plan/types.js';
import type { Recipe } from '../recipe/types.js';
import { closest } from '../util/did-you-mean.js';
import { escapeName } from '../util/hidden-chars.js';

export interface PickTarget {
  readonly pass: string;
  readonly variant: number;
  readonly instance: string | null;
}

const NODE_ID = /^([^@#]+)(?:@([^#]+))?(?:#(.*))?$/;

export function pickTarget(plan: Plan, recipe: Recipe, nodeId: string): PickTarget {
  const m = NODE_ID.exec(nodeId);
  const [passId = '', instance, tail] = [m?.[1], m?.[2], m?.[3]];
  const pass = recipe.passes.find((p) => p.id === passId);
  if (pass === undefined) {
    const near = closest(
      passId,
      recipe.passes.map((p) => p.id),
    );
    const rest = nodeId.slice(passId.length);
    throw refuse(nodeId, 'no such pass', near === undefined ? undefined : `${near}${escapeName(rest)}`, recipe);
  }
  const nodes = plan.nodes.filter((n) => n.pass === pass.id);
  if (instance !== undefined && !nodes.some((n) => n.instance === instance)) {
    const names = nodes.flatMap((n) => (n.instance === null ? [] : [n.instance]));
    // A pass over one file has no instances: its node ids have no @ part at all.
    if (names.length === 0)
      throw refuse(
        nodeId,
        `pass "${pass.id}" reads one file, so it has no instances`,
        `${pass.id}#${escapeName(tail ?? '1')}`,
        recipe,
      );
    const near = closest(instance, names);
    throw refuse(
      nodeId,
      `pass "${pass.id}" has no instance "${escapeName(instance)}"`,
      near === undefined ? undefined : `${pass.id}@${near}#${escapeName(tail ?? '1')}`,
      recipe,
    );
  }
  if (pass.variants <= 1) throw noOwnVariants(nodeId, pass.id, nodes, plan);
  const variant = tail === undefined || !/^[1-9][0-9]*$/.test(tail) ? undefined : Number(tail);
  if (variant === undefined || variant > pass.variants)
    throw new UsageError(`pick: "${escapeName(nodeId)}" names no variant of "${pass.id}"`, {
      hint: `"${pass.id}" has ${pass.variants} variants: ${pass.id}#1 .. ${pass.id}#${pass.variants}`,
    });
  return { pass: pass.id, variant, instance: instance ?? null };
}

/** A pass without variants of its own: point at the pass its variants come from, if any. */
function noOwnVariants(nodeId: string, passId: string, nodes: readonly PlanNode[], plan: Plan): UsageError {
  const byId = new Map(plan.nodes.map((n) => [n.id, n]));
  let cur: PlanNode | undefined = nodes.find((n) => n.variant !== null);
  while (cur !== undefined && cur.input.kind === 'node') {
    const up = byId.get(cur.input.id);
    if (up === undefined || up.variant === null) break;
    cur = up;
  }
  const owner = cur?.pass !== passId ? cur?.pass : undefined;
  return new UsageError(`pick: pass "${passId}" has no variants of its own`, {
    hint:
      owner === undefined
        ? `pick names a variant of a pass with variants: N (${escapeName(nodeId)})`
        : `its variants come from "${owner}": pick there, e.g. ${owner}#${escapeName(nodeId.split('#')[1] ?? '1')}`,
  });
}

function refuse(nodeId: string, why: string, near: string | undefined, recipe: Recipe): UsageError {
  const passes = recipe.passes.filter((p) => p.variants > 1).map((p) => p.id);
  return new UsageError(`pick: "${escapeName(nodeId)}": ${why}`, {
    hint: `${near === undefined ? '' : `did you mean "${near}"? `}passes with variants: ${passes.join(', ') || 'none'}`,
  });
}
