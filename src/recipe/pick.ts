/**
 * Writing `pick: <k>` into a recipe's text (`kontext pick`), or taking it out (`--clear`).
 * Pure: text in, text out. The edit is made on the text itself at the positions the YAML
 * parser reports, so comments, quoting, blank lines, flow maps and anchors keep their bytes;
 * only when that edit does not parse back to the intended document does it fall back to the
 * yaml library's own printing (which keeps comments but may re-indent).
 */
import { isDeepStrictEqual } from 'node:util';
import {
  type Document,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  type Pair,
  parseDocument,
  Scalar,
  type YAMLError,
  type YAMLMap,
} from 'yaml';
import { ExitCode, KontextError } from '../errors.js';
import { duplicateKeys } from './yaml/map-keys.js';
import { isEmptyTrailingDocument, MULTIPLE_DOCUMENTS } from './yaml/parse.js';

export interface PickEdit {
  /** The new recipe text. */
  readonly text: string;
  /** The `pick:` the pass had before, if any. */
  readonly previous: number | undefined;
  /** `surgical`: only the `pick:` bytes changed; `reprinted`: the yaml library printed the file. */
  readonly method: 'surgical' | 'reprinted';
}

function cannot(message: string, hint?: string): KontextError {
  return new KontextError('E_PICK_WRITE', message, { exitCode: ExitCode.DATA_ERR, ...(hint ? { hint } : {}) });
}

/** The parsed recipe and its pass at `passIndex`, a mapping written in place (`byHand`: what to do otherwise). */
function passNode(text: string, passIndex: number, byHand: string): { doc: Document.Parsed; pass: YAMLMap } {
  const doc = parse(text);
  const errors = yamlErrors(doc, text);
  if (errors.length > 0) throw cannot(`the recipe is not valid YAML: ${errors[0] ?? ''}`);
  const passes = doc.get('passes', true);
  const pass = isSeq(passes) ? passes.items[passIndex] : undefined;
  if (!isMap(pass))
    throw cannot(`passes[${passIndex}] is not a mapping written in place`, `a pass written as a YAML alias: ${byHand}`);
  return { doc, pass };
}

/** Set `pick: variant` on the pass at `passIndex` of `passes:` in `text`. */
export function setPickInText(text: string, passIndex: number, variant: number): PickEdit {
  const { doc, pass } = passNode(text, passIndex, 'add pick: by hand');
  const pair = pass.items.find((p) => isScalar(p.key) && p.key.value === 'pick');
  const old = pair !== undefined && isScalar(pair.value) ? pair.value.value : undefined;
  const previous = typeof old === 'number' ? old : undefined;
  const wanted = doc.toJS() as { passes: Record<string, unknown>[] };
  const target = wanted.passes[passIndex];
  if (target !== undefined) target['pick'] = variant;

  const surgical = surgicalEdit(text, pass, pair, variant);
  if (surgical !== undefined && parsesTo(surgical, wanted)) return { text: surgical, previous, method: 'surgical' };
  doc.setIn(['passes', passIndex, 'pick'], variant);
  const reprinted = doc.toString();
  if (parsesTo(reprinted, wanted)) return { text: reprinted, previous, method: 'reprinted' };
  throw cannot(`could not write pick: into passes[${passIndex}]`, 'add pick: by hand');
}

/**
 * The index in `passes:` of the first pass whose `id:` is `passId`, read from the text alone (a
 * recipe that does not validate: `--clear` may be what fixes it); undefined when none is.
 */
export function passIndexInText(text: string, passId: string): number | undefined {
  const passes = parse(text).get('passes', true);
  if (!isSeq(passes)) return undefined;
  const at = passes.items.findIndex((p) => isMap(p) && p.get('id') === passId);
  return at < 0 ? undefined : at;
}

/** Remove `pick:` from the pass at `passIndex` (`kontext pick --clear`); `previous` undefined: it had none. */
export function clearPickInText(text: string, passIndex: number): PickEdit {
  const { doc, pass } = passNode(text, passIndex, 'remove pick: by hand');
  const at = pass.items.findIndex((p) => isScalar(p.key) && p.key.value === 'pick');
  const pair = pass.items[at];
  if (pair === undefined) return { text, previous: undefined, method: 'surgical' };
  const old = isScalar(pair.value) ? pair.value.value : undefined;
  const previous = typeof old === 'number' ? old : undefined;
  const wanted = doc.toJS() as { passes: Record<string, unknown>[] };
  const target = wanted.passes[passIndex];
  if (target !== undefined) delete target['pick'];

  const surgical = surgicalRemoval(text, pass, at);
  if (surgical !== undefined && parsesTo(surgical, wanted)) return { text: surgical, previous, method: 'surgical' };
  doc.deleteIn(['passes', passIndex, 'pick']);
  const reprinted = doc.toString();
  if (parsesTo(reprinted, wanted)) return { text: reprinted, previous, method: 'reprinted' };
  throw cannot(`could not remove pick: from passes[${passIndex}]`, 'remove pick: by hand');
}

/**
 * The text without the pass's `pick:` pair: its whole line (comment included) in a block map,
 * `, pick: k` (or `pick: k, `) in a flow map; undefined when the pair shares its line.
 */
function surgicalRemoval(text: string, pass: YAMLMap, at: number): string | undefined {
  const pair = pass.items[at];
  const k = pair?.key as Scalar | undefined;
  const v = pair?.value as Node | null | undefined;
  if (!k?.range || !v?.range) return undefined;
  if (pass.flow) {
    const prevEnd = (pass.items[at - 1]?.value as Node | null | undefined)?.range?.[1];
    if (prevEnd !== undefined) return splice(text, prevEnd, v.range[1], '');
    const next = (pass.items[at + 1]?.key as Node | null | undefined)?.range?.[0];
    return next === undefined ? undefined : splice(text, k.range[0], next, '');
  }
  const lineStart = text.lastIndexOf('\n', k.range[0] - 1) + 1;
  if (text.slice(lineStart, k.range[0]).trim() !== '') return undefined; // `- pick: 2` or on a line with another key
  const nl = text.indexOf('\n', v.range[1]);
  const lineEnd = nl < 0 ? text.length : nl + 1;
  if (!/^[ \t]*(#.*)?\r?\n?$/.test(text.slice(v.range[1], lineEnd))) return undefined;
  return splice(text, lineStart, lineEnd, '');
}

function parsesTo(text: string, wanted: unknown): boolean {
  const doc = parse(text);
  return yamlErrors(doc, text).length === 0 && isDeepStrictEqual(doc.toJS(), wanted);
}

/**
 * The recipe's document. Without the parser's repeated-key check, quadratic in a mapping's size
 * (a pick on a recipe of 45,000 sources parses it three times): `yamlErrors` makes the same check
 * in linear time (yaml/map-keys.ts).
 */
function parse(text: string): Document.Parsed {
  return parseDocument(text, { uniqueKeys: false });
}

/** The parser's errors (each names its line and column), then repeated keys, named the same way. */
function yamlErrors(doc: Document.Parsed, text: string): string[] {
  const repeated = duplicateKeys(doc);
  const lines = new LineCounter();
  lines.addNewLine(0);
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines.addNewLine(i + 1);
  const at = (offset: number): string => {
    const { line, col } = lines.linePos(offset);
    return `at line ${line}, column ${col}`;
  };
  // A second document in the parser's words is advice to its programmer: said as the recipe's load says it.
  const own = (e: YAMLError): string =>
    e.code === 'MULTIPLE_DOCS' ? `${MULTIPLE_DOCUMENTS} ${at(e.pos[0])}` : e.message;
  const errors = doc.errors.filter((e) => !(e.code === 'MULTIPLE_DOCS' && isEmptyTrailingDocument(text, e.pos[0])));
  return [...errors.map(own), ...repeated.map((i) => `${i.message} ${at(i.offset)}`)];
}

/** The text with the pick written in place, or undefined when no safe spot is found. */
function surgicalEdit(text: string, pass: YAMLMap, pair: Pair | undefined, variant: number): string | undefined {
  const value = pair?.value as Node | null | undefined;
  if (value?.range) return splice(text, value.range[0], value.range[1], String(variant));
  if (pair !== undefined) return undefined; // `pick:` with an empty value
  if (pass.flow) {
    const last = pass.items[pass.items.length - 1];
    const end = (last?.value as Node | null | undefined)?.range?.[1];
    return end === undefined ? undefined : splice(text, end, end, `, pick: ${variant}`);
  }
  const anchor = oneLinePair(pass, 'variants') ?? oneLinePair(pass, 'id');
  if (anchor === undefined) return undefined;
  const lineStart = text.lastIndexOf('\n', anchor.keyStart - 1) + 1;
  const indent = ' '.repeat(anchor.keyStart - lineStart);
  let lineEnd = text.indexOf('\n', anchor.valueEnd);
  if (lineEnd < 0) lineEnd = text.length;
  if (text[lineEnd - 1] === '\r') lineEnd -= 1;
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  return splice(text, lineEnd, lineEnd, `${eol}${indent}pick: ${variant}`);
}

/** A `key: scalar` pair written on one line (so a new line can follow it). */
function oneLinePair(map: YAMLMap, key: string): { keyStart: number; valueEnd: number } | undefined {
  const pair = map.items.find((p) => isScalar(p.key) && p.key.value === key);
  const k = pair?.key as Scalar | undefined;
  const v = pair?.value;
  if (!k?.range || !isScalar(v) || !v.range) return undefined;
  if (v.type === Scalar.BLOCK_FOLDED || v.type === Scalar.BLOCK_LITERAL) return undefined;
  return { keyStart: k.range[0], valueEnd: v.range[1] };
}

function splice(text: string, start: number, end: number, insert: string): string {
  return text.slice(0, start) + insert + text.slice(end);
}
