/**
 * Where a JSON text goes wrong, as line:col. `JSON.parse` only sometimes says (and the wording
 * changes between Node versions), and a person fixing a hand-merged lock file needs the line.
 * Nor does `JSON.parse` refuse a key repeated in one object (it keeps the last): a hand-merged
 * lock holding one node twice reads as if it held one. `jsonMembersAtMost` is cheap enough to ask
 * on every read; the scanners run only once something may be wrong, so clarity beats speed there.
 */
import { escapeHidden } from './hidden-chars.js';

export interface JsonSyntaxError {
  /** 0-based offset into the text. */
  readonly offset: number;
  readonly message: string;
}

/** Stops the scan at the first duplicate key. */
class Found extends Error {}

class Located extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

/** The first syntax error in `text`, or `null` if it is valid JSON. */
export function findJsonSyntaxError(text: string): JsonSyntaxError | null {
  const scanner = new Scanner(text);
  try {
    scanner.document();
    return null;
  } catch (e) {
    if (e instanceof Located) return { offset: e.offset, message: e.message };
    throw e;
  }
}

/** A key an object of the text holds twice (`JSON.parse` silently keeps the later value). */
export interface JsonDuplicateKey {
  /** 0-based offset of the second occurrence's opening quote. */
  readonly offset: number;
  /** 0-based offset of the first occurrence's opening quote. */
  readonly first: number;
  /** The keys (and array indices) leading to the object that holds it, outermost first. */
  readonly path: readonly PropertyKey[];
  readonly key: string;
}

/**
 * At least the number of object members in `text`, which must be valid JSON: the `:` whose
 * previous non-blank character is `"` (every member's, plus any escaped `\":` in a string).
 * When it equals the members of the parsed value, no key was repeated (the parse keeps one of
 * each); when not, {@link findJsonDuplicateKey} says. A lock is read on every run: this is one
 * `indexOf` per colon, about a tenth of `JSON.parse`'s time on the same text.
 */
export function jsonMembersAtMost(text: string): number {
  let n = 0;
  for (let c = text.indexOf(':'); c >= 0; c = text.indexOf(':', c + 1)) {
    let p = c - 1;
    let ch = text.charCodeAt(p);
    while (ch === 0x20 || ch === 0x0a || ch === 0x0d || ch === 0x09) ch = text.charCodeAt(--p);
    if (ch === 0x22) n++;
  }
  return n;
}

/** The number of object members in a parsed JSON value (what {@link jsonMembersAtMost} bounds in its text). */
export function countValueMembers(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  let n = 0;
  if (Array.isArray(value)) for (const v of value) n += countValueMembers(v);
  else
    for (const k in value) {
      n += 1 + countValueMembers((value as Record<string, unknown>)[k]);
    }
  return n;
}

/** The first key an object in `text` (valid JSON) repeats, in text order; null when there is none. */
export function findJsonDuplicateKey(text: string): JsonDuplicateKey | null {
  const scanner = new Scanner(text, true);
  try {
    scanner.document();
  } catch (e) {
    if (!(e instanceof Found)) throw e;
  }
  return scanner.duplicate;
}

/** 1-based line and column (UTF-16 units) of a 0-based offset. */
export function lineCol(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, col: offset - (before.lastIndexOf('\n') + 1) + 1 };
}

/** A recursive-descent JSON recognizer (RFC 8259) that throws {@link Located} at the first error. */
class Scanner {
  private i = 0;
  /** With `keys`: the first repeated key, after which the scan stops. */
  duplicate: JsonDuplicateKey | null = null;
  /** The keys of each open object, with where each was first seen, and the path to it. */
  private readonly objects: Map<string, number>[] = [];
  private readonly path: PropertyKey[] = [];
  /** With `target`: the offset of its deepest part met so far, and that part's length. */
  located = 0;
  private locatedDepth = 0;
  constructor(
    private readonly text: string,
    private readonly keys = false,
    private readonly target: readonly PropertyKey[] | null = null,
  ) {}

  document(): void {
    this.value();
    this.ws();
    if (this.i < this.text.length) this.fail(`unexpected ${this.here()} after the end of the JSON value`);
  }

  private value(): void {
    this.ws();
    const c = this.text[this.i];
    if (c === '{') {
      this.objects.push(new Map());
      this.members('}', () => this.member());
      this.objects.pop();
      return;
    }
    if (c === '[') {
      let index = 0;
      return this.members(']', () => {
        this.ws();
        this.path.push(index++);
        this.mark(this.i);
        this.value();
        this.path.pop();
      });
    }
    if (c === '"') return this.string();
    for (const lit of ['true', 'false', 'null']) {
      if (this.text.startsWith(lit, this.i)) {
        this.i += lit.length;
        return;
      }
    }
    const num = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
    num.lastIndex = this.i;
    if (num.test(this.text)) {
      this.i = num.lastIndex;
      return;
    }
    this.fail(`unexpected ${this.here()}`);
  }

  private member(): void {
    this.ws();
    if (this.text[this.i] !== '"') this.fail(`expected a property name, found ${this.here()}`);
    const start = this.i;
    this.string();
    let key = '';
    if (this.keys) key = this.seen(start);
    else if (this.target) key = JSON.parse(this.text.slice(start, this.i)) as string;
    this.ws();
    if (this.text[this.i] !== ':') this.fail(`expected ":", found ${this.here()}`);
    this.i++;
    this.path.push(key);
    this.mark(start);
    this.value();
    this.path.pop();
  }

  /** With `target`: note `offset` when the path here is a deeper part of it; stop at the whole. */
  private mark(offset: number): void {
    const target = this.target;
    const depth = this.path.length;
    if (target === null || depth <= this.locatedDepth || depth > target.length) return;
    for (let k = 0; k < depth; k++) if (String(this.path[k]) !== String(target[k])) return;
    this.located = offset;
    this.locatedDepth = depth;
    if (depth === target.length) throw new Found();
  }

  /** Note the key whose string starts at `start`; at the first repeat, record it and stop the scan. */
  private seen(start: number): string {
    const key = JSON.parse(this.text.slice(start, this.i)) as string;
    const keys = this.objects[this.objects.length - 1] as Map<string, number>;
    const first = keys.get(key);
    if (first === undefined) keys.set(key, start);
    else {
      this.duplicate = { offset: start, first, path: [...this.path], key };
      throw new Found();
    }
    return key;
  }

  private members(close: string, item: () => void): void {
    this.i++;
    this.ws();
    if (this.text[this.i] === close) return void this.i++;
    for (;;) {
      item();
      this.ws();
      if (this.text[this.i] === ',') this.i++;
      else if (this.text[this.i] === close) return void this.i++;
      else this.fail(`expected "," or ${JSON.stringify(close)}, found ${this.here()}`);
    }
  }

  private string(): void {
    this.i++; // opening quote
    for (;;) {
      if (this.i >= this.text.length) this.fail('unterminated string');
      const c = this.text.charCodeAt(this.i);
      if (c === 0x22) return void this.i++;
      if (c < 0x20) this.fail('control character in string');
      if (c === 0x5c) this.escape();
      else this.i++;
    }
  }

  private escape(): void {
    const esc = this.text[this.i + 1] ?? '';
    if (esc !== '' && '"\\/bfnrt'.includes(esc)) this.i += 2;
    else if (esc === 'u' && /^[0-9a-fA-F]{4}$/.test(this.text.slice(this.i + 2, this.i + 6))) this.i += 6;
    else this.fail('invalid escape in string');
  }

  private ws(): void {
    while (this.i < this.text.length && ' \t\n\r'.includes(this.text[this.i] as string)) this.i++;
  }

  private here(): string {
    return this.i >= this.text.length ? 'end of file' : JSON.stringify(this.text[this.i]);
  }

  private fail(message: string): never {
    throw new Located(this.i, message);
  }
}

/** A JSON path as a message names it: `nodes["a b"].output`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.map(formatPathStep).join('');
}

/**
 * `[0]` for an index, `.name` for an identifier key (no dot first), `["a b"]` for any other key,
 * a bidi control or invisible character in it written as `\u{…}` (a lock from someone else may
 * hold one: the message must not reorder or hide what it quotes).
 */
function formatPathStep(p: PropertyKey, i: number): string {
  if (typeof p === 'number') return `[${p}]`;
  const key = String(p);
  if (!/^[A-Za-z_$][\w$]*$/.test(key)) return `[${escapeHidden(JSON.stringify(key))}]`;
  return i === 0 ? key : `.${key}`;
}

/**
 * The offset of `path` in `text`: of its last key (an object member) or the start of its last
 * element (an array index), found by walking the JSON, so an array element is the one its index
 * names and a key is never matched inside a string value. Where the path leaves what the text
 * holds (a member that is missing, text that is not JSON past some point), the deepest part of
 * it that was found; 0 for none.
 */
export function locatePath(text: string, path: readonly PropertyKey[]): number {
  const scanner = new Scanner(text, false, path);
  try {
    scanner.document();
  } catch (e) {
    if (!(e instanceof Located) && !(e instanceof Found)) throw e;
  }
  return scanner.located;
}
