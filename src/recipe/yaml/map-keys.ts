/**
 * The keys of every mapping, in one pass over the parsed document, linear in its size. The
 * parser's own duplicate-key check (`uniqueKeys`) compares each key with every earlier one of
 * its mapping: quadratic, 20,000 keys in one mapping took it 5 s and 40,000 27 s, and the 1 MiB
 * recipe cap lets a stranger's recipe hold ~65,000 (every validate, run and watch save paying
 * for it). So the parser runs without it and the same rule is checked here, by index.
 */
import { isPair, isScalar, visit, type Document, type Scalar } from 'yaml';

/**
 * The most entries one mapping may hold. A recipe's biggest are `sources:` (each source used
 * plans a node at least) and `params:` (a model's few dozen): no recipe a run can keep
 * (at most 50,000 nodes, rules/plan-size.ts) needs more.
 */
export const MAX_MAP_ENTRIES = 50_000;

export interface MapKeyIssue {
  readonly code: string;
  readonly message: string;
  readonly hint: string;
  readonly offset: number;
}

/** The first mapping of more than {@link MAX_MAP_ENTRIES} entries, at the mapping's start. */
export function tooManyEntries(doc: Document): MapKeyIssue | undefined {
  let issue: MapKeyIssue | undefined;
  visit(doc, {
    Map(_, map, path) {
      if (map.items.length <= MAX_MAP_ENTRIES) return undefined;
      const owner = path.at(-1);
      const key = isPair(owner) && isScalar(owner.key) ? ` "${String(owner.key.value)}"` : '';
      issue = {
        code: 'yaml-too-many-keys',
        message: `mapping${key} has ${map.items.length} entries (at most ${MAX_MAP_ENTRIES})`,
        hint: 'no recipe needs this many; split it over several recipes',
        offset: map.range?.[0] ?? 0,
      };
      return visit.BREAK;
    },
  });
  return issue;
}

/**
 * Every key that repeats an earlier key of its mapping, at the repeat, by the parser's own rule:
 * the same node, or two scalars whose values are `===` (so `1` and `"1"` differ, and NaN is never
 * a repeat).
 */
export function duplicateKeys(doc: Document): MapKeyIssue[] {
  const issues: MapKeyIssue[] = [];
  visit(doc, {
    Map(_, map) {
      const seen = new Set<unknown>();
      for (const { key } of map.items) {
        const id = isScalar(key) ? scalarId(key) : key;
        if (id === undefined) continue;
        if (!seen.has(id)) {
          seen.add(id);
          continue;
        }
        issues.push({
          code: 'yaml-duplicate-key',
          message: isScalar(key) ? `duplicate key "${String(key.value)}"` : 'duplicate key',
          hint: 'a key may appear only once in a mapping; remove or rename one',
          offset: (key as { range?: readonly number[] | null } | null)?.range?.[0] ?? map.range?.[0] ?? 0,
        });
      }
      return undefined;
    },
  });
  return issues;
}

/** What a scalar key is compared by: its value, or the node itself when `===` would not match a Set's rule. */
function scalarId(key: Scalar): unknown {
  const v = key.value;
  if (typeof v === 'number' && Number.isNaN(v)) return undefined; // NaN !== NaN: never a repeat
  return typeof v === 'object' && v !== null ? key : v;
}
