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
  constructor(readonly offset: number, message: string) {
    super(message);
  }
}

/** The first syntax error in `text`, or `null` if it is valid JSON. */
export function findJsonSyntaxError(text: string): JsonSyntaxError | null {
  let i = 0;
  const fail = (message: string): never => {
    throw new Located(i, message);
  };
  const describe = (): string => (i >= text.length ? 'end of file' : `${JSON.stringify(text[i])}`);
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i++;
  };
  const expect = (ch: string): void => {
    ws();
    if (text[i] !== ch) fail(`expected ${JSON.stringify(ch)}, found ${describe()}`);
    i++;
  };
  const string = (): void => {
    i++; // opening quote
    for (;;) {
      const c = text.charCodeAt(i);
      if (i >= text.length) fail('unterminated string');
      if (c === 0x22) return void i++;
      if (c < 0x20) fail('control character in string');
      if (c === 0x5c) {
        const esc = text[i + 1] ?? '';
        if ('"\\/bfnrt'.includes(esc) && esc !== '') i += 2;
        else if (esc === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) i += 6;
        else fail('invalid escape in string');
      } else i++;
    }
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') return members('}', member);
    if (c === '[') return members(']', value);
    if (c === '"') return string();
    for (const lit of ['true', 'false', 'null']) if (text.startsWith(lit, i)) return void (i += lit.length);
    const num = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
    num.lastIndex = i;
    if (num.test(text)) return void (i = num.lastIndex);
    fail(`unexpected ${describe()}`);
  };
  const member = (): void => {
    ws();
    if (text[i] !== '"') fail(`expected a property name, found ${describe()}`);
    string();
    expect(':');
    value();
  };
  const members = (close: string, item: () => void): void => {
    i++;
    ws();
    if (text[i] === close) return void i++;
    for (;;) {
      item();
      ws();
      if (text[i] === ',') i++;
      else if (text[i] === close) return void i++;
      else fail(`expected "," or ${JSON.stringify(close)}, found ${describe()}`);
    }
  };
  try {
    value();
    ws();
    if (i < text.length) fail(`unexpected ${describe()} after the end of the JSON value`);
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
