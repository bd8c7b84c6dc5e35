/** Where a CLI command writes: injected so that commands run in tests without a terminal. */
export interface CliIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

/** The process's own stdout and stderr. */
export const processIo: CliIo = {
  out: (line) => void process.stdout.write(`${line}\n`),
  err: (line) => void process.stderr.write(`${line}\n`),
};

/** A command: takes its own arguments, returns the exit code. */
export type Command = (args: readonly string[], io: CliIo) => Promise<number>;
