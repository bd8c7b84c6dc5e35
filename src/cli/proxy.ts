// `toolflight proxy`: one tracked MCP endpoint on 127.0.0.1 in front of an upstream server.
import { parseArgs } from 'node:util';

import { createTracker } from '../index.js';
import { CAPTURE_HEADER, createProxy, hideTools, type ProxyUpstream } from '../mcp/index.js';
import { createJsonlStore } from '../store/index.js';
import type { CliIo, Command } from './io.js';

const USAGE = [
  'usage: toolflight proxy --upstream URL [options]',
  '       toolflight proxy [options] -- COMMAND [ARGS...]',
  '',
  'options:',
  '  --upstream URL      a Streamable HTTP MCP server',
  '  --port N            the port to listen on (default: any free port)',
  '  --token-env NAME    send the upstream the bearer token in $NAME, read on every request',
  '  --hide TOOL         hide tools from agents (repeatable; * and ? wildcards)',
  '  --capture KEY       the capture key agents are tracked under (default: proxy)',
  '  --record FILE       write every event to a new JSONL recording',
  '  --outbox FILE       queue bufferable writes made while the upstream is down in FILE',
  '                      (SQLite) and deliver them when it is back',
  '  --buffer TOOL       with --outbox: also buffer TOOL (repeatable; * and ? wildcards)',
].join('\n');

const ENV_TOKEN = 'TOOLFLIGHT_PROXY_TOKEN';
const ENV_CAPTURE = 'TOOLFLIGHT_PROXY_CAPTURE_KEY';
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A usage problem: the message to print before exiting with code 2. */
class UsageError extends Error {}

interface ProxyCommand {
  readonly upstream: ProxyUpstream;
  readonly port: number;
  readonly hide: readonly string[];
  readonly capture: string;
  readonly record: string | undefined;
  readonly outbox: string | undefined;
  readonly buffer: readonly string[];
}

function parse(args: readonly string[], env: NodeJS.ProcessEnv): ProxyCommand {
  const split = args.indexOf('--');
  const own = split < 0 ? args : args.slice(0, split);
  const command = split < 0 ? [] : args.slice(split + 1);
  let values;
  try {
    ({ values } = parseArgs({
      args: [...own],
      options: {
        upstream: { type: 'string' },
        port: { type: 'string' },
        'token-env': { type: 'string' },
        hide: { type: 'string', multiple: true },
        capture: { type: 'string' },
        record: { type: 'string' },
        outbox: { type: 'string' },
        buffer: { type: 'string', multiple: true },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if ((values.upstream === undefined) === (command.length === 0)) {
    throw new UsageError('give exactly one upstream: --upstream URL, or -- COMMAND [ARGS...]');
  }
  if (values.upstream !== undefined && !/^https?:\/\//.test(values.upstream)) {
    throw new UsageError(
      `--upstream must be an http(s) URL, got ${JSON.stringify(values.upstream)}`,
    );
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535 || values.port === '') {
    throw new UsageError(`--port must be an integer 0..65535, got ${JSON.stringify(values.port)}`);
  }
  const tokenEnv = values['token-env'];
  if (tokenEnv !== undefined && !ENV_NAME.test(tokenEnv)) {
    throw new UsageError(
      `--token-env must name an environment variable, got ${JSON.stringify(tokenEnv)}`,
    );
  }
  if (tokenEnv !== undefined && command.length > 0) {
    throw new UsageError(
      '--token-env is for an HTTP upstream; pass a process its secrets in its own environment',
    );
  }
  if (values.buffer !== undefined && values.outbox === undefined) {
    throw new UsageError('--buffer needs --outbox FILE: buffered writes are kept there');
  }
  if (values.outbox === '') throw new UsageError('--outbox must name a file');
  const capture = values.capture ?? 'proxy';
  if (capture.trim() === '') throw new UsageError('--capture must not be empty');
  const [executable, ...rest] = command;
  const upstream: ProxyUpstream =
    values.upstream !== undefined
      ? {
          url: values.upstream,
          ...(tokenEnv === undefined ? {} : { getToken: () => env[tokenEnv] }),
        }
      : { command: executable!, args: rest };
  return {
    upstream,
    port,
    hide: values.hide ?? [],
    capture,
    record: values.record,
    outbox: values.outbox,
    buffer: values.buffer ?? [],
  };
}

/** What an agent CLI needs: the JSON server entry (placeholders only) and the variables. */
function agentConfig(url: string, secret: string, capture: string): string[] {
  const entry = {
    mcpServers: {
      toolflight: {
        type: 'http',
        url,
        headers: {
          Authorization: `Bearer \${${ENV_TOKEN}}`,
          [CAPTURE_HEADER]: `\${${ENV_CAPTURE}}`,
        },
      },
    },
  };
  return [
    `toolflight proxy listening on ${url}`,
    'agent config (--mcp-config):',
    JSON.stringify(entry),
    'agent environment:',
    `${ENV_TOKEN}=${secret}`,
    `${ENV_CAPTURE}=${capture}`,
  ];
}

/**
 * Run the proxy until `stop` resolves; resolves to the exit code (2 for bad flags). The
 * command registered in the CLI stops on SIGINT or SIGTERM.
 */
export async function runProxy(
  args: readonly string[],
  io: CliIo,
  stop: Promise<unknown>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  let parsed: ProxyCommand;
  try {
    parsed = parse(args, env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`toolflight proxy: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  const store = parsed.record === undefined ? undefined : createJsonlStore(parsed.record);
  const tracker = createTracker(store === undefined ? {} : { store });
  tracker.beginCapture(parsed.capture);
  const proxy = await createProxy({
    tracker,
    upstream: parsed.upstream,
    ...(parsed.hide.length === 0 ? {} : { narrow: hideTools(parsed.hide) }),
    ...(parsed.outbox === undefined
      ? {}
      : { outbox: { path: parsed.outbox, bufferable: parsed.buffer } }),
    logger: { warn: (message) => io.err(`toolflight proxy: ${message}`) },
  });
  const watching = proxy.notices$.subscribe((notice) => {
    if (notice.type === 'upstream.changed' && notice.data.stderr === undefined) {
      const { state, reason, retryInMs } = notice.data;
      const retry = retryInMs === undefined ? '' : `, retrying in ${retryInMs} ms`;
      io.err(`upstream ${state}${reason === undefined ? '' : `: ${reason}`}${retry}`);
    }
  });
  // What happens to buffered writes, for the operator (`toolflight outbox list` shows the rest).
  const stopOutboxLines = tracker.store.subscribe((event) => {
    if (!event.type.startsWith('outbox.')) return;
    const { key, tool, reason } = event.data as { key: string; tool: string; reason?: string };
    io.err(`${event.type} ${key} (${tool})${reason === undefined ? '' : `: ${reason}`}`);
  });
  try {
    for (const line of agentConfig(proxy.url, proxy.secret, parsed.capture)) io.out(line);
    await stop;
  } finally {
    watching.unsubscribe();
    await proxy.close();
    stopOutboxLines();
    store?.close();
  }
  return 0;
}

/** `toolflight proxy`: runs until SIGINT or SIGTERM, then closes cleanly. */
export const proxy: Command = (args, io) => {
  const stop = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  return runProxy(args, io, stop);
};
