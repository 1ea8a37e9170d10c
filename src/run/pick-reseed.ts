/**
 * `--reseed` never re-draws a picked variant by accident: a node its pass's `pick:` chose is
 * re-seeded only when a pattern names its variant with a literal `#<k>` (`--reseed bag#2`).
 * `--reseed bag` (or a bare `--reseed`) on a pass with a pick is a usage error that lists the
 * other variants, which are the ones it most likely meant.
 */
import { UsageError } from '../errors.js';
import type { Plan } from '../plan/types.js';
import type { PassSelection } from './options.js';

/** Throws when `ids` (what `--reseed` resolved to) holds a picked node no pattern named by its variant. */
export function guardPickedReseed(
  plan: Plan,
  reseed: PassSelection,
  ids: readonly string[] | undefined,
  matches: (pattern: string) => (node: Plan['nodes'][number]) => boolean,
): void {
  if (ids === undefined) return;
  const chosen = new Set(ids);
  const patterns =
    reseed === 'all' || reseed === undefined ? [] : reseed.flatMap((p) => p.split(',')).map((p) => p.trim());
  for (const node of plan.nodes) {
    if (node.picked !== true || !chosen.has(node.id)) continue;
    const literal = `#${node.variant}`;
    if (patterns.some((p) => p.endsWith(literal) && matches(p)(node))) continue;
    const others = plan.nodes
      .filter((n) => n.pass === node.pass && n.instance === node.instance && n.picked !== true)
      .map((n) => n.id);
    throw new UsageError(`--reseed would re-draw ${node.id}, the variant its pass picked (pick: ${node.variant})`, {
      hint: `name the variants to re-draw: --reseed ${others.join(',')} (add ${node.id} to re-draw the picked one too)`,
    });
  }
}
