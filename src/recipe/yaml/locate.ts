/**
 * Map a document path like `['passes', 2, 'from']` to a 1-based line/col: the position of the
 * value, or of the key when asked (unknown keys). A path that does not exist in the document
 * (a missing field) falls back to the nearest ancestor that does.
 */
import {
  type Alias,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  visit,
  type Document,
  type LineCounter,
  type Node,
  type Pair,
  type YAMLMap,
} from 'yaml';

export type DocPath = readonly (string | number)[];

export interface Position {
  readonly line: number;
  readonly col: number;
}

interface Found {
  /** The deepest node reached along the path. */
  readonly node: Node | null;
  /** The key node of the last map step, if that step was reached. */
  readonly key: Node | null;
  /** Whether the whole path was found. */
  readonly complete: boolean;
}

/** `from:` with nothing after it parses as an empty null scalar; the key is the better pointer. */
function nonEmpty(node: Node | null): Node | null {
  if (!node) return null;
  const r = node.range;
  return isScalar(node) && node.value === null && r !== undefined && r !== null && r[0] === r[1] ? null : node;
}

/**
 * Each mapping's scalar keys by their text, the first of a repeated one (as a scan finds it), made
 * on a mapping's first look-up: a recipe whose every key of a 50,000-key mapping is a problem
 * locates each, and a scan per look-up made that quadratic (20,000 keys: seconds). Made again if
 * the mapping's size changed since.
 */
const keyIndex = new WeakMap<YAMLMap, { readonly size: number; readonly byKey: Map<string, Pair> }>();

function pairOf(map: YAMLMap, seg: string | number): Pair | undefined {
  let index = keyIndex.get(map);
  if (index?.size !== map.items.length) {
    const byKey = new Map<string, Pair>();
    for (const pair of map.items as Pair[]) {
      const k = pair.key;
      if (isScalar(k) && !byKey.has(String(k.value))) byKey.set(String(k.value), pair);
    }
    index = { size: map.items.length, byKey };
    keyIndex.set(map, index);
  }
  return index.byKey.get(String(seg));
}

/**
 * Each alias's node, for a whole document in one walk (the library's rule: the last node with that
 * anchor before the alias). `Alias.resolve` walks the document on every call, and a recipe whose
 * problems all lie under one alias (`params: *p` with thousands of keys) located each through it:
 * quadratic (10,000 keys: 44 s).
 */
const aliasIndex = new WeakMap<Document, WeakMap<Alias, Node>>();

function resolved(doc: Document, alias: Alias): Node | undefined {
  let index = aliasIndex.get(doc);
  if (index === undefined) {
    const byAlias = new WeakMap<Alias, Node>();
    const anchors = new Map<string, Node>();
    visit(doc, (_key, node) => {
      if (isAlias(node)) {
        const target = anchors.get(node.source);
        if (target !== undefined) byAlias.set(node, target);
      } else if ((isScalar(node) || isMap(node) || isSeq(node)) && node.anchor) anchors.set(node.anchor, node);
    });
    index = byAlias;
    aliasIndex.set(doc, index);
  }
  return index.get(alias);
}

function child(doc: Document, node: Node, seg: string | number): { key: Node | null; value: Node | null } | undefined {
  const target = isAlias(node) ? resolved(doc, node) : node;
  if (isMap(target)) {
    const pair = pairOf(target, seg);
    return pair === undefined ? undefined : { key: pair.key as Node, value: nonEmpty(pair.value as Node | null) };
  }
  if (isSeq(target) && typeof seg === 'number') {
    const item = target.items[seg] as Node | undefined;
    return item === undefined ? undefined : { key: null, value: item };
  }
  return undefined;
}

/** Walk `path` from the document root as far as it goes. */
export function findNode(doc: Document, path: DocPath): Found {
  let node = (doc.contents as Node | null) ?? null;
  let key: Node | null = null;
  for (const seg of path) {
    if (!node) return { node, key, complete: false };
    const next = child(doc, node, seg);
    if (!next) return { node, key: null, complete: false };
    key = next.key;
    // `from:` with no value: point at the key.
    node = next.value ?? next.key;
  }
  return { node, key, complete: true };
}

/** Offset of the node (or key) at `path`; `undefined` for an empty document. */
function offsetOf(doc: Document, path: DocPath, options: { key?: boolean } = {}): number | undefined {
  const found = findNode(doc, path);
  const target = options.key && found.complete && found.key ? found.key : found.node;
  return target?.range?.[0];
}

/** 1-based line/col of the node (or key) at `path`. */
export function locatePath(
  doc: Document,
  lines: LineCounter,
  path: DocPath,
  options: { key?: boolean } = {},
): Position | undefined {
  const offset = offsetOf(doc, path, options);
  return offset === undefined ? undefined : lines.linePos(offset);
}
