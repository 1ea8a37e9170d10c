/**
 * `--only`, `--force` and `--reseed` name nodes by pattern: `<pass>[@<instance>][#<variant>]`,
 * each part a glob where `*` is any run of characters. A part left out matches anything, so a
 * plain pass id names every node of that pass, `bag#2` the second variant of `bag` on every
 * instance, `lifestyle@product-*` every `lifestyle` node whose instance starts `product-`, and
 * `*` every node. A pattern that matches no node is a usage error (exit 64) with a suggestion.
 *
 * What each flag then does (see {@link resolveSelections}):
 * - `--only P` runs the nodes P matches plus what they need upstream; the upstream nodes are
 *   taken from the cache and the lock when they are up to date (they run only when they must).
 * - `--force P` / `--reseed P` act on the nodes P matches, and on nothing else: an upstream node
 *   is never re-run or re-seeded because a node downstream of it was named.
 * - a bare `--force` / `--reseed` (`'all'`) means "the nodes this run is about": with `--only`,
 *   the nodes `--only` named (not their upstream); without it, every node.
 */
import { UsageError } from '../errors.js';
import type { Plan, PlanNode } from '../plan/types.js';
import { closest } from '../util/did-you-mean.js';
import { escapeName } from '../util/hidden-chars.js';
import type { PassSelection } from './options.js';
import { guardPickedReseed } from './pick-reseed.js';

/** The three selection flags as node ids: what runs, what ignores the cache, what gets new seeds. */
export interface NodeSelection {
  /** Selected nodes in topological order (all of them without `--only`). */
  readonly nodes: readonly PlanNode[];
  /** Node ids `--force` applies to, or `undefined`. */
  readonly force: readonly string[] | undefined;
  /** Node ids `--reseed` applies to, or `undefined`. */
  readonly reseed: readonly string[] | undefined;
}

export interface SelectionFlags {
  readonly only?: readonly string[] | undefined;
  readonly force?: PassSelection;
  readonly reseed?: PassSelection;
}

/** Turn the flags' patterns into node ids; throws a UsageError for a pattern that matches nothing. */
export function resolveSelections(plan: Plan, flags: SelectionFlags): NodeSelection {
  const targets = flags.only === undefined ? undefined : matchPatterns(plan, '--only', flags.only);
  const nodes = targets === undefined ? plan.nodes : withUpstream(plan, targets);
  const idsFor = (flag: string, sel: PassSelection): readonly string[] | undefined => {
    if (sel === undefined) return undefined;
    if (sel === 'all') return targets === undefined ? nodes.map((n) => n.id) : [...targets];
    return [...matchPatterns(plan, flag, sel)];
  };
  const reseed = idsFor('--reseed', flags.reseed);
  guardPickedReseed(plan, flags.reseed, reseed, compilePattern);
  return { nodes, force: idsFor('--force', flags.force), reseed };
}

/** Node ids matched by any of `patterns` (comma lists allowed), in plan order. */
function matchPatterns(plan: Plan, flag: string, patterns: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const pattern of splitPatterns(patterns, flag)) {
    const test = compilePattern(pattern);
    const hits = plan.nodes.filter(test);
    if (hits.length === 0) throw noMatch(flag, pattern, plan);
    for (const n of hits) out.add(n.id);
  }
  return out;
}

function splitPatterns(patterns: readonly string[], flag: string): string[] {
  const out = patterns.flatMap((p) => p.split(',')).map((p) => p.trim());
  const bad = out.find((p) => p === '');
  if (bad !== undefined || out.length === 0)
    throw new UsageError(`${flag}: an empty pattern`, {
      hint: `${flag} <pass>[@<instance>][#<variant>], e.g. ${flag} bag#2`,
    });
  return out;
}

/** `<pass>[@<instance>][#<variant>]` → a test on a node. */
function compilePattern(pattern: string): (node: PlanNode) => boolean {
  const hash = pattern.indexOf('#');
  const head = hash < 0 ? pattern : pattern.slice(0, hash);
  const variant = hash < 0 ? undefined : globRegex(pattern.slice(hash + 1));
  const at = head.indexOf('@');
  const pass = globRegex(at < 0 ? head : head.slice(0, at));
  const instance = at < 0 ? undefined : globRegex(head.slice(at + 1));
  return (n) =>
    pass.test(n.pass) &&
    (instance === undefined || instance.test(n.instance ?? '')) &&
    (variant === undefined || variant.test(n.variant === null ? '' : String(n.variant)));
}

function globRegex(glob: string): RegExp {
  const body = glob
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`);
}

/** The nodes named, plus every node upstream of them, in plan order. */
function withUpstream(plan: Plan, targets: ReadonlySet<string>): PlanNode[] {
  const byId = new Map(plan.nodes.map((n) => [n.id, n]));
  const keep = new Set<string>();
  for (const id of targets) {
    let cur = byId.get(id);
    while (cur && !keep.has(cur.id)) {
      keep.add(cur.id);
      cur = cur.input.kind === 'node' ? byId.get(cur.input.id) : undefined;
    }
  }
  return plan.nodes.filter((n) => keep.has(n.id));
}

function noMatch(flag: string, pattern: string, plan: Plan): UsageError {
  const passes = [...new Set(plan.nodes.map((n) => n.pass))];
  const near = suggestion(pattern, plan, passes);
  const recipeLike = /\.ya?ml$/i.test(pattern) ? '; a recipe path must name an existing file' : '';
  return new UsageError(`${flag}: "${escapeName(pattern)}" matches no node of this recipe${recipeLike}`, {
    hint: `${near === undefined ? '' : `did you mean "${escapeName(near)}"? `}passes: ${passes.join(', ')}`,
  });
}

/** The pattern with its misspelled part (pass, else instance) replaced by the closest name, else the closest id. */
function suggestion(pattern: string, plan: Plan, passes: readonly string[]): string | undefined {
  const m = /^([^@#]*)(@[^#]*)?(#.*)?$/.exec(pattern);
  const [pass = '', at = '', hash = ''] = [m?.[1], m?.[2], m?.[3]];
  if (!passes.some((p) => globRegex(pass).test(p))) {
    const near = closest(pass, passes);
    return near === undefined
      ? closest(
          pattern,
          plan.nodes.map((n) => n.id),
        )
      : `${near}${at}${hash}`;
  }
  const instances = [...new Set(plan.nodes.map((n) => n.instance).filter((i): i is string => i !== null))];
  const near = at === '' ? undefined : closest(at.slice(1), instances);
  return near === undefined
    ? closest(
        pattern,
        plan.nodes.map((n) => n.id),
      )
    : `${pass}@${near}${hash}`;
}
