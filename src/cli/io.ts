/** Where a CLI command writes: injected so that commands run in tests without a terminal. */
export interface CliIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  /** Redraw a one-line status on stderr (undefined clears it); only called on a terminal. */
  readonly progress?: (line: string | undefined) => void;
  /** Whether stderr is a terminal. */
  readonly stderrIsTty?: boolean;
}

/** The process's own stdout and stderr. */
export const processIo: CliIo = {
  out: (line) => void process.stdout.write(`${line}\n`),
  err: (line) => void process.stderr.write(`${line}\n`),
  progress: (line) =>
    void process.stderr.write(line === undefined ? '\r\x1b[2K' : `\r\x1b[2K${line}`),
  stderrIsTty: process.stderr.isTTY === true,
};

/** A command: takes its own arguments, returns the exit code. */
export type Command = (args: readonly string[], io: CliIo) => number | Promise<number>;
