// @internal The text of an `mcpServers` file, read into a value. Not `JSON.parse`: its messages
// quote the text around a mistake (`..."TOKEN": sk-abc"... is not valid JSON`), which in a
// config file is where the secrets are, and they give no position for the commonest mistake. It
// takes what the editors of these files write too: `//` and `/* */` comments and trailing commas
// (VS Code's and Cursor's `mcp.json` are JSON with comments); a key written twice, which
// `JSON.parse` settles silently by keeping the last, is refused.

/** Deeper than this, the text is no configuration (the deepest real entry is 4 levels). */
export const MAX_JSON_DEPTH = 64;

/** Where the text stops being JSON, and why; `line` and `column` count from 1. */
export interface JsonProblem {
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

/** Thrown inside the reader; turned into a `JsonProblem` at its edge. */
class Stop extends Error {
  constructor(
    readonly at: number,
    message: string,
  ) {
    super(message);
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPE = /\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})/y;
const LITERALS = [
  ['true', true],
  ['false', false],
  ['null', null],
] as const;

/** One character, shown without quoting the text around it. */
const shown = (char: string | undefined): string =>
  char === undefined ? 'the end of the text' : `${JSON.stringify(char)}`;

class Reader {
  at = 0;

  constructor(readonly text: string) {}

  fail(message: string, at = this.at): never {
    throw new Stop(at, message);
  }

  /** Skip white space and comments. */
  space(): void {
    const text = this.text;
    for (;;) {
      const char = text[this.at];
      if (char === ' ' || char === '\t' || char === '\n' || char === '\r') this.at += 1;
      else if (char === '/' && text[this.at + 1] === '/') {
        const end = text.indexOf('\n', this.at);
        this.at = end < 0 ? text.length : end;
      } else if (char === '/' && text[this.at + 1] === '*') {
        const end = text.indexOf('*/', this.at + 2);
        if (end < 0) this.fail('a /* comment is never closed');
        this.at = end + 2;
      } else return;
    }
  }

  value(depth: number): unknown {
    if (depth > MAX_JSON_DEPTH) this.fail(`nested deeper than ${MAX_JSON_DEPTH} levels`);
    const char = this.text[this.at];
    if (char === '{') return this.object(depth);
    if (char === '[') return this.array(depth);
    if (char === '"') return this.string();
    if (char === '-' || (char !== undefined && char >= '0' && char <= '9')) return this.number();
    for (const [word, value] of LITERALS) {
      if (this.text.startsWith(word, this.at)) {
        this.at += word.length;
        return value;
      }
    }
    return this.fail(`expected a value, found ${shown(char)}`);
  }

  object(depth: number): Record<string, unknown> {
    this.at += 1;
    // Entries, made into an object at the end: `Object.fromEntries` defines each key as the
    // object's own (a key `__proto__` stays a key, and sets no prototype).
    const entries: [string, unknown][] = [];
    const keys = new Set<string>();
    this.space();
    while (this.text[this.at] !== '}') {
      if (this.text[this.at] !== '"') {
        this.fail(`expected a property name in double quotes, found ${shown(this.text[this.at])}`);
      }
      const keyAt = this.at;
      const key = this.string();
      if (keys.has(key)) {
        this.fail(`the key ${JSON.stringify(key.slice(0, 64))} is written twice`, keyAt);
      }
      keys.add(key);
      this.space();
      if (this.text[this.at] !== ':') {
        this.fail(`expected ":" after a property name, found ${shown(this.text[this.at])}`);
      }
      this.at += 1;
      this.space();
      entries.push([key, this.value(depth + 1)]);
      this.space();
      if (this.text[this.at] === ',') {
        this.at += 1;
        this.space();
      } else if (this.text[this.at] !== '}') {
        this.fail(`expected "," or "}" after a property, found ${shown(this.text[this.at])}`);
      }
    }
    this.at += 1;
    return Object.fromEntries(entries);
  }

  array(depth: number): unknown[] {
    this.at += 1;
    const items: unknown[] = [];
    this.space();
    while (this.text[this.at] !== ']') {
      items.push(this.value(depth + 1));
      this.space();
      if (this.text[this.at] === ',') {
        this.at += 1;
        this.space();
      } else if (this.text[this.at] !== ']') {
        this.fail(`expected "," or "]" after an item, found ${shown(this.text[this.at])}`);
      }
    }
    this.at += 1;
    return items;
  }

  string(): string {
    const text = this.text;
    const start = this.at;
    let at = start + 1;
    for (;;) {
      const char = text[at];
      if (char === undefined) this.fail('a string is never closed', start);
      if (char === '"') break;
      if (char < ' ') this.fail('a string holds a raw control character (write it escaped)', at);
      if (char === '\\') {
        ESCAPE.lastIndex = at;
        if (!ESCAPE.test(text)) this.fail('a string holds an invalid escape', at);
        at = ESCAPE.lastIndex;
      } else at += 1;
    }
    this.at = at + 1;
    // Checked above to be a JSON string: JSON.parse only decodes its escapes.
    return JSON.parse(text.slice(start, this.at)) as string;
  }

  number(): number {
    NUMBER.lastIndex = this.at;
    const match = NUMBER.exec(this.text);
    if (match === null) this.fail(`expected a number, found ${shown(this.text[this.at + 1])}`);
    this.at = NUMBER.lastIndex;
    return Number(match[0]);
  }
}

/** Line and column (from 1) of offset `at` in `text`. */
function positionOf(text: string, at: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let n = text.indexOf('\n'); n >= 0 && n < at; n = text.indexOf('\n', n + 1)) {
    line += 1;
    lineStart = n + 1;
  }
  return { line, column: at - lineStart + 1 };
}

/** Read `text` as JSON (comments and trailing commas allowed), or say where and why it is not. */
export function parseJsonText(text: string): { value: unknown } | { problem: JsonProblem } {
  const reader = new Reader(text);
  try {
    reader.space();
    const value = reader.value(0);
    reader.space();
    if (reader.at < text.length) {
      reader.fail(`expected the end of the text after the value, found ${shown(text[reader.at])}`);
    }
    return { value };
  } catch (error) {
    if (!(error instanceof Stop)) throw error;
    return { problem: { ...positionOf(text, error.at), message: error.message } };
  }
}
