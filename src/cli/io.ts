import { maskText } from '../events/maskSecrets.js';

/** Where a CLI command writes: injected so that commands run in tests without a terminal. */
export interface CliIo {
  /**
   * What the command was asked for, unmasked: the agent config with its secret, the inspector's
   * URL with its token, outbox keys. What comes from a recording is masked where it is made
   * (`summarizeEvent`, the outbox reasons).
   */
  readonly out: (line: string) => void;
  /** Warnings, errors and logger lines: the process's own `err` masks secrets (`maskText`). */
  readonly err: (line: string) => void;
  /** Redraw a one-line status on stderr (undefined clears it); only called on a terminal. */
  readonly progress?: (line: string | undefined) => void;
  /** Whether stderr is a terminal. */
  readonly stderrIsTty?: boolean;
  /**
   * Aborted once stdout is closed (its reader went away, as `head` does after its lines): `out`
   * then prints nothing, a command that prints many lines stops, one that runs until Ctrl-C
   * ends, and the CLI exits 0.
   */
  readonly stdoutClosed?: AbortSignal;
}

/** Whether a stream failed because nobody reads it any more. */
const readerGone = (error: unknown): boolean =>
  (error as { code?: unknown } | null | undefined)?.code === 'EPIPE';

let current: CliIo | undefined;

// Control characters but the newline and the tab: C0, DEL and C1.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/**
 * `text` safe to put on a terminal: every control character but the newline and the tab shown
 * as `\u{…}`. A server's stderr line, a reason or a name in a recording may hold escape
 * sequences (a window title, a cleared screen, a forged line) that must not reach the terminal.
 */
export function printable(text: string): string {
  return text.replace(CONTROL, (c) => `\\u{${c.charCodeAt(0).toString(16)}}`);
}

/**
 * The process's own stdout and stderr, created on first use. Every line is made `printable`
 * (no escape sequence from a recording or a server reaches the terminal). What goes to stderr
 * passes through `maskText` first: warnings and logger lines quote upstream errors and stderr lines, which may
 * carry a token (`TOKEN=…`, `Authorization: Bearer …`). A closed stdout (EPIPE) aborts
 * `stdoutClosed` instead of crashing with an unhandled 'error'; a closed stderr is ignored.
 * Other stream errors are rethrown, as if nothing listened.
 */
export function processIo(): CliIo {
  if (current) return current;
  const { stdout, stderr } = process;
  const closed = new AbortController();
  let stderrGone = false;
  stdout.on('error', (error) => {
    if (!readerGone(error)) throw error;
    closed.abort();
  });
  stderr.on('error', (error) => {
    if (!readerGone(error)) throw error;
    stderrGone = true;
  });
  const toStderr = (text: string) => {
    if (stderrGone) return;
    stderr.write(text);
    // A failed write marks the stream at once; its 'error' event comes a tick later.
    if (readerGone(stderr.errored)) stderrGone = true;
  };
  current = {
    out: (line) => {
      if (closed.signal.aborted) return;
      stdout.write(`${printable(line)}\n`);
      if (readerGone(stdout.errored)) closed.abort();
    },
    err: (line) => toStderr(`${printable(maskText(line))}\n`),
    progress: (line) => toStderr(line === undefined ? '\r\x1b[2K' : `\r\x1b[2K${line}`),
    stderrIsTty: stderr.isTTY === true,
    stdoutClosed: closed.signal,
  };
  return current;
}

/** A command: takes its own arguments, returns the exit code. */
export type Command = (args: readonly string[], io: CliIo) => number | Promise<number>;
