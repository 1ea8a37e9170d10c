/**
 * Where a JSON text goes wrong, as line:col. `JSON.parse` only sometimes says (and the wording
 * changes between Node versions), and a person fixing a hand-merged lock file needs the line.
 * Only run after `JSON.parse` failed, so speed does not matter; clarity does.
 */

export interface JsonSyntaxError {
  /** 0-based offset into the text. */
  readonly offset: number;
  readonly message: string;
}

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

/** 1-based line and column (UTF-16 units) of a 0-based offset. */
export function lineCol(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, col: offset - (before.lastIndexOf('\n') + 1) + 1 };
}

/** A recursive-descent JSON recognizer (RFC 8259) that throws {@link Located} at the first error. */
class Scanner {
  private i = 0;
  constructor(private readonly text: string) {}

  document(): void {
    this.value();
    this.ws();
    if (this.i < this.text.length) this.fail(`unexpected ${this.here()} after the end of the JSON value`);
  }

  private value(): void {
    this.ws();
    const c = this.text[this.i];
    if (c === '{') return this.members('}', () => this.member());
    if (c === '[') return this.members(']', () => this.value());
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
    this.string();
    this.ws();
    if (this.text[this.i] !== ':') this.fail(`expected ":", found ${this.here()}`);
    this.i++;
    this.value();
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
