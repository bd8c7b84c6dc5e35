// Run the real `toolflight` bin (`node --import tsx src/cli/main.ts ARGS`) as a child process
// from the repository root, with control over its stdout: read as it prints, wait for a line,
// close it under the child (as `| head` does), signal it, and collect its exit.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** How the child's stdout is read. */
export type StdoutMode =
  /** Read to the end (default). */
  | 'read'
  /** Closed before the child prints anything: its first write meets a closed pipe. */
  | 'closed'
  /** Closed as soon as the first line arrived, as `| head -1` does. */
  | 'first-line';

/** Options of {@link startBin}. */
export interface BinOptions {
  /** Added to this process's environment. */
  readonly env?: NodeJS.ProcessEnv;
  /** Variables removed from the child's environment. */
  readonly unset?: readonly string[];
  readonly stdout?: StdoutMode;
}

/** What a bin run printed and how it ended. */
export interface BinResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A running bin. */
export interface RunningBin {
  readonly child: ChildProcessByStdio<null, Readable, Readable>;
  /** Output so far. */
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Resolves with the first match of `pattern` on stdout (or stderr), now or later; rejects if the child exits first. */
  readonly waitFor: (pattern: RegExp, stream?: 'stdout' | 'stderr') => Promise<RegExpExecArray>;
  /** Resolves once the child exited. */
  readonly exit: Promise<BinResult>;
  readonly kill: (signal?: NodeJS.Signals) => void;
}

/** Start `toolflight ARGS`; the caller waits on `exit` (and kills it if it runs until Ctrl-C). */
export function startBin(args: readonly string[], options: BinOptions = {}): RunningBin {
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  for (const name of options.unset ?? []) delete env[name];
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const mode = options.stdout ?? 'read';
  // Destroyed in the same tick as the spawn: the child has not run a line of JavaScript yet.
  if (mode === 'closed') child.stdout.destroy();
  const text = { stdout: '', stderr: '' };
  const waiters: { pattern: RegExp; stream: 'stdout' | 'stderr'; settle: () => boolean }[] = [];
  const wake = () => {
    for (const waiter of [...waiters]) {
      if (waiter.settle()) waiters.splice(waiters.indexOf(waiter), 1);
    }
  };
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    text.stdout += chunk;
    if (mode === 'first-line' && text.stdout.includes('\n')) {
      text.stdout = text.stdout.slice(0, text.stdout.indexOf('\n') + 1);
      child.stdout.destroy();
    }
    wake();
  });
  child.stderr.on('data', (chunk: string) => {
    text.stderr += chunk;
    wake();
  });
  const exit = (async () => {
    const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
    // The exit can come before the last output was read: wait for both pipes to end.
    await Promise.all(
      [child.stdout, child.stderr]
        .filter((stream) => !stream.closed)
        .map((stream) => once(stream, 'close')),
    );
    return { code, signal, stdout: text.stdout, stderr: text.stderr };
  })();
  // A waiter still waiting when the child exits is told so.
  void exit.then(wake);
  return {
    child,
    stdout: () => text.stdout,
    stderr: () => text.stderr,
    waitFor: (pattern, stream = 'stdout') =>
      new Promise<RegExpExecArray>((resolve, reject) => {
        const settle = () => {
          const match = pattern.exec(text[stream]);
          if (match) resolve(match);
          else if (child.exitCode !== null || child.signalCode !== null) {
            reject(
              new Error(
                `toolflight ${args.join(' ')} exited (${child.exitCode ?? child.signalCode}) before printing ${pattern}\nstdout: ${text.stdout}\nstderr: ${text.stderr}`,
              ),
            );
          } else return false;
          return true;
        };
        if (!settle()) waiters.push({ pattern, stream, settle });
      }),
    exit,
    kill: (signal = 'SIGTERM') => void child.kill(signal),
  };
}

/** Run `toolflight ARGS` to its exit. */
export function runBin(args: readonly string[], options: BinOptions = {}): Promise<BinResult> {
  return startBin(args, options).exit;
}
