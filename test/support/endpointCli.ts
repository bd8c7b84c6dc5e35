// An endpoint command (`toolflight proxy`, `toolflight gateway`) run in-process until the test
// stops it: what it printed, the URL and credential it printed, waits on its stderr lines, and
// SDK agents connected through it.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';

import type { CliIo } from '../../src/cli/io.js';
import { agentTransport } from './agentTransport.js';

/** A running endpoint command. */
export interface EndpointCli {
  readonly out: string[];
  readonly err: string[];
  readonly url: string;
  readonly credential: string;
  /** Its exit code, once it ended (a refusal ends it before it listens). */
  readonly exit: Promise<number>;
  /** Stop it as Ctrl-C would; resolves with its exit code. */
  readonly stop: () => Promise<number>;
  /** An SDK client connected with the printed URL and credential; closed after the test. */
  readonly connect: () => Promise<Client>;
  /** Resolves on the next stderr line matching `match` (ask before causing it). */
  readonly line: (match: RegExp) => Promise<string>;
  /** Resolves once a stderr line matches (now or later). */
  readonly errLine: (match: RegExp) => Promise<string>;
}

/**
 * Run `run(args, io, stop, env)` and wait until it printed `${tokenVar}=…` (it listens), or
 * ended; `cleanup` registers what to do after the test (stop it, close its agents).
 */
export async function startEndpointCli(
  command: 'proxy' | 'gateway',
  run: (
    args: readonly string[],
    io: CliIo,
    stop: Promise<unknown>,
    env: NodeJS.ProcessEnv,
  ) => Promise<number>,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  cleanup: (step: () => Promise<unknown>) => void,
): Promise<EndpointCli> {
  const tokenVar = `TOOLFLIGHT_${command.toUpperCase()}_TOKEN`;
  const out: string[] = [];
  const err: string[] = [];
  const waiters: { match: RegExp; resolve: (line: string) => void }[] = [];
  let stop!: () => void;
  let ready!: () => void;
  const listening = new Promise<void>((resolve) => (ready = resolve));
  const io = {
    out: (line: string) => {
      out.push(line);
      if (line.startsWith(`${tokenVar}=`)) ready();
    },
    err: (line: string) => {
      err.push(line);
      for (const waiter of waiters.filter((w) => w.match.test(line))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    },
  };
  const exit = run(args, io, new Promise<void>((resolve) => (stop = resolve)), env);
  const stopped = () => (stop(), exit);
  cleanup(stopped);
  await Promise.race([listening, exit]);
  const url = out[0]?.replace(`toolflight ${command} listening on `, '') ?? '';
  const credential = out.find((line) => line.startsWith(`${tokenVar}=`))?.split('=')[1] ?? '';
  const next = (match: RegExp) =>
    new Promise<string>((resolve) => waiters.push({ match, resolve }));
  return {
    out,
    err,
    url,
    credential,
    exit,
    stop: stopped,
    line: next,
    errLine: (match) => {
      const seen = err.find((line) => match.test(line));
      return seen !== undefined ? Promise.resolve(seen) : next(match);
    },
    connect: async () => {
      const client = new Client({ name: 'cli-agent', version: '1' });
      await client.connect(agentTransport(url, credential));
      cleanup(() => client.close());
      return client;
    },
  };
}
