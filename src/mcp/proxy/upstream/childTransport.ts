// @internal An MCP server process over stdio. The SDK's `StdioClientTransport` drops the exit
// code and cannot hand over stderr line by line, both of which the proxy reports; this uses the
// SDK's own framing (`ReadBuffer`, `serializeMessage`) and its clean default environment.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

import { getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ReadBuffer, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { SchedulerLike } from 'rxjs';

import { isSecretKey } from '../../../events/maskSecrets.js';
import { MessageSecrets, redact } from './redact.js';
import { StderrLines } from './stderrLines.js';
import type { StdioUpstream } from './Upstream.js';
import { serializeOrRefuse } from './unsendable.js';

/** How many stderr lines are kept for an exit report. */
export const STDERR_LINES = 64;

/** How a child ended: its exit code or signal and the last lines of its stderr. */
export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderrTail: readonly string[];
}

/** Describe an exit for an agent and an operator. */
export function describeExit(exit: ChildExit): string {
  const how = exit.signal !== null ? `signal ${exit.signal}` : `exit code ${String(exit.code)}`;
  const tail = exit.stderrTail.slice(-8).join('\n');
  return `the upstream process ended (${how})${tail === '' ? '' : `; stderr:\n${tail}`}`;
}

/** Why requests fail fast while a child that keeps dying before it answers waits to start. */
export function describeFailedStarts(count: number, nextInMs: number, lastExit: string): string {
  const times = count === 1 ? '' : `, ${count} times in a row`;
  return `the upstream process exited before answering${times}; next start in ${nextInMs} ms (${lastExit})`;
}

/** A `Transport` to one child process; `onexit` says how it ended, before `onclose`. */
export class ChildTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  /**
   * Stderr lines as they come, redacted (`redact`, with the values of the secret variables the
   * child was given), each cut to `MAX_STDERR_LINE` characters, at most `STDERR_BUDGET` per
   * `STDERR_WINDOW_MS`; a line says how many were dropped beyond that.
   */
  onstderr?: (line: string) => void;
  onexit?: (exit: ChildExit) => void;

  readonly #params: StdioUpstream;
  readonly #buffer = new ReadBuffer();
  readonly #stderr: string[] = [];
  readonly #stderrLines: StderrLines;
  /** The values of the secret variables the child was given: masked in what it says. */
  readonly #secrets: MessageSecrets;
  #child: ChildProcessWithoutNullStreams | undefined;

  /** `scheduler` times the stderr budget's window. */
  constructor(params: StdioUpstream, scheduler: SchedulerLike) {
    this.#params = params;
    const secrets = [
      ...Object.entries(params.env ?? {}).flatMap(([key, value]) =>
        isSecretKey(key) ? [value] : [],
      ),
      ...(params.secrets ?? []),
    ];
    this.#secrets = new MessageSecrets(secrets);
    this.#stderrLines = new StderrLines(scheduler, {
      line: (line) => {
        this.#stderr.push(redact(line, secrets));
        if (this.#stderr.length > STDERR_LINES) this.#stderr.shift();
      },
      notice: (line) => this.onstderr?.(redact(line, secrets)),
    });
  }

  /** Spawn the child; resolves once it runs, rejects when it cannot be started. */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.#params.command, [...(this.#params.args ?? [])], {
        env: { ...getDefaultEnvironment(), ...this.#params.env },
        cwd: this.#params.cwd,
        stdio: ['pipe', 'pipe', 'pipe'],
        shell: false,
        windowsHide: true,
      });
      this.#child = child;
      child.once('spawn', () => resolve());
      child.once('error', (error) => {
        reject(error);
        this.onerror?.(error);
      });
      child.once('close', (code, signal) => {
        this.#child = undefined;
        this.#stderrLines.end();
        this.onexit?.({ code, signal, stderrTail: [...this.#stderr] });
        this.onclose?.();
      });
      child.stdin.on('error', (error) => this.onerror?.(error));
      child.stdout.on('data', (chunk: Buffer) => {
        this.#buffer.append(chunk);
        for (;;) {
          let message: JSONRPCMessage | null;
          try {
            message = this.#buffer.readMessage();
          } catch (error) {
            this.onerror?.(error as Error);
            continue;
          }
          if (message === null) break;
          // A tool's result or a log line may quote the secret the child was given: masked,
          // and nothing else of the agent's data touched. No walk at all for a child without one.
          this.onmessage?.(this.#secrets.outOf(message));
        }
      });
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (text: string) => this.#stderrLines.feed(text));
    });
  }

  /** Write one message to the child's stdin; rejects with `UnsendableMessage` when it cannot. */
  send(message: JSONRPCMessage): Promise<void> {
    const child = this.#child;
    if (child === undefined || !child.stdin.writable) {
      return Promise.reject(new Error('the upstream process is not running'));
    }
    return new Promise((resolve) => {
      // A throw in the executor rejects: an `UnsendableMessage` fails this request only.
      if (child.stdin.write(serializeOrRefuse(message, serializeMessage))) resolve();
      else child.stdin.once('drain', resolve);
    });
  }

  /** End the child: close stdin, then SIGTERM, then SIGKILL, each after a short grace. */
  async close(): Promise<void> {
    const child = this.#child;
    if (child === undefined) return;
    const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
    child.stdin.end();
    const grace = (ms: number) =>
      Promise.race([closed, new Promise<void>((resolve) => setTimeout(resolve, ms).unref())]);
    await grace(1000);
    if (this.#child === child) child.kill('SIGTERM');
    await grace(1000);
    if (this.#child === child) child.kill('SIGKILL');
    await closed;
  }
}
