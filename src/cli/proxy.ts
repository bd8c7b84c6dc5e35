// `toolflight proxy`: one tracked MCP endpoint on 127.0.0.1 in front of an upstream server.
import type { EventStore } from '../index.js';
import {
  createProxy,
  hideTools,
  ProxyError,
  type Proxy,
  type ProxyUpstream,
} from '../mcp/index.js';
import { captureKeyProblem } from '../mcp/endpoint/captureCredentials.js';
import { timerMs } from '../http/connectionLimits.js';
import type { CliIo, Command } from './io.js';
import {
  commandTracker,
  listenFailure,
  openRecording,
  stdoutGone,
  untilCtrlC,
} from './endpointCommand.js';
import { LIVE_OTLP_TIMEOUT_MS, otlpOption, type OtlpOption } from './otel.js';
import { parseCommandArgs } from './parseCommandArgs.js';

const USAGE = [
  'usage: toolflight proxy --upstream URL [options]',
  '       toolflight proxy [options] -- COMMAND [ARGS...]',
  '',
  'options:',
  '  --upstream URL      a Streamable HTTP MCP server',
  '  --port N            the port to listen on (default: any free port)',
  '  --token-env NAME    send the upstream the bearer token in $NAME, read on every request',
  '  --hide TOOL         hide tools from agents (repeatable; * and ? wildcards)',
  '  --capture KEY       the capture key agents are tracked under (default: proxy); the',
  '                      printed credential admits that capture only',
  '  --record FILE       write every event to a new JSONL recording',
  '  --overwrite         with --record: replace the recording if FILE already holds one',
  '  --outbox FILE       queue bufferable writes made while the upstream is down in FILE',
  '                      (SQLite) and deliver them when it is back',
  '  --buffer TOOL       with --outbox: also buffer TOOL (repeatable; * and ? wildcards)',
  '  --request-timeout-ms N',
  '                      wait at most N ms for the upstream to answer a request, each progress',
  '                      notification starting the wait again (default 60000; agents get',
  '                      -32001 and the upstream is told to stop)',
  '  --otlp URL          export spans and metrics to an OpenTelemetry collector over OTLP/HTTP',
  '                      (http://localhost:4318: /v1/traces and /v1/metrics are added); at',
  '                      exit, waits for the last export at most $OTEL_EXPORTER_OTLP_TIMEOUT',
  `                      ms (default ${LIVE_OTLP_TIMEOUT_MS})`,
  '  -h, --help          show this help',
].join('\n');

const ENV_TOKEN = 'TOOLFLIGHT_PROXY_TOKEN';
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A usage problem: the message to print before exiting with code 2. */
class UsageError extends Error {}

interface ProxyCommand {
  readonly upstream: ProxyUpstream;
  readonly port: number;
  /** The variable the upstream token is read from, if any. */
  readonly tokenEnv: string | undefined;
  readonly hide: readonly string[];
  readonly capture: string;
  readonly record: string | undefined;
  readonly overwrite: boolean;
  readonly outbox: string | undefined;
  readonly buffer: readonly string[];
  readonly requestTimeoutMs: number | undefined;
  /** `--otlp URL`, and how long one export (and exit) may wait for the collector. */
  readonly otlp: OtlpOption | undefined;
}

/** The proxy's own flags come before `--`; what follows is the upstream command. */
function parse(args: readonly string[], io: CliIo, env: NodeJS.ProcessEnv): ProxyCommand | number {
  const split = args.indexOf('--');
  const own = split < 0 ? args : args.slice(0, split);
  const command = split < 0 ? [] : args.slice(split + 1);
  const parsed = parseCommandArgs('proxy', USAGE, io, {
    args: [...own],
    options: {
      upstream: { type: 'string' },
      port: { type: 'string' },
      'token-env': { type: 'string' },
      hide: { type: 'string', multiple: true },
      capture: { type: 'string' },
      record: { type: 'string' },
      overwrite: { type: 'boolean' },
      outbox: { type: 'string' },
      buffer: { type: 'string', multiple: true },
      'request-timeout-ms': { type: 'string' },
      otlp: { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
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
  if (values.overwrite === true && values.record === undefined) {
    throw new UsageError('--overwrite is for --record FILE: it replaces that recording');
  }
  if (values.record === '') throw new UsageError('--record must name a file');
  if (values.buffer !== undefined && values.outbox === undefined) {
    throw new UsageError('--buffer needs --outbox FILE: buffered writes are kept there');
  }
  if (values.outbox === '') throw new UsageError('--outbox must name a file');
  const timeout = values['request-timeout-ms'];
  // Digits become a number for the library's own check; anything else is shown as typed.
  const requestTimeoutMs = timerMs(
    timeout !== undefined && /^\d+$/.test(timeout) ? Number(timeout) : timeout,
    '--request-timeout-ms',
    (message) => new UsageError(message),
  );
  const otlp = otlpOption(values.otlp, env, (message) => new UsageError(message));
  const capture = values.capture ?? 'proxy';
  if (capture.trim() === '') throw new UsageError('--capture must not be empty');
  const captureProblem = captureKeyProblem(capture);
  if (captureProblem !== undefined) throw new UsageError(`--capture: ${captureProblem}`);
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
    tokenEnv,
    hide: values.hide ?? [],
    capture,
    record: values.record,
    overwrite: values.overwrite === true,
    outbox: values.outbox,
    buffer: values.buffer ?? [],
    requestTimeoutMs,
    otlp,
  };
}

/**
 * What an agent CLI needs: the JSON server entry (a placeholder only) and the variable, whose
 * credential admits the `--capture` key and nothing else.
 */
function agentConfig(url: string, credential: string, capture: string): string[] {
  const entry = {
    mcpServers: {
      toolflight: { type: 'http', url, headers: { Authorization: `Bearer \${${ENV_TOKEN}}` } },
    },
  };
  return [
    `toolflight proxy listening on ${url}`,
    `agent config (--mcp-config), tracked as capture ${JSON.stringify(capture)}:`,
    JSON.stringify(entry),
    'agent environment:',
    `${ENV_TOKEN}=${credential}`,
  ];
}

/**
 * Run the proxy until `stop` resolves (or stdout closes); resolves to the exit code (2 for bad
 * flags). The command registered in the CLI stops on SIGINT or SIGTERM.
 */
export async function runProxy(
  args: readonly string[],
  io: CliIo,
  stop: Promise<unknown>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  let parsed: ProxyCommand;
  let store: EventStore | undefined;
  try {
    const result = parse(args, io, env);
    if (typeof result === 'number') return result;
    parsed = result;
    store = openRecording(parsed.record, parsed.overwrite, (message) => new UsageError(message));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`toolflight proxy: ${error.message}\n${USAGE}`);
    return 2;
  }
  if (parsed.tokenEnv !== undefined && !env[parsed.tokenEnv]) {
    io.err(
      `toolflight proxy: warning: $${parsed.tokenEnv} is not set, so the upstream gets no token: set it (it is read on every request) or drop --token-env`,
    );
  }
  const { tracker, otlp } = await commandTracker(
    io,
    'proxy',
    { store, path: parsed.record },
    parsed.otlp,
  );
  tracker.beginCapture(parsed.capture);
  let proxy: Proxy;
  try {
    proxy = await createProxy({
      tracker,
      upstream: parsed.upstream,
      port: parsed.port,
      ...(parsed.requestTimeoutMs === undefined
        ? {}
        : { requestTimeoutMs: parsed.requestTimeoutMs }),
      ...(parsed.hide.length === 0 ? {} : { narrow: hideTools(parsed.hide) }),
      ...(parsed.outbox === undefined
        ? {}
        : { outbox: { path: parsed.outbox, bufferable: parsed.buffer } }),
      logger: { warn: (message) => io.err(`toolflight proxy: ${message}`) },
    });
  } catch (error) {
    await otlp?.stop();
    store?.close();
    if (!(error instanceof ProxyError) || error.code !== 'listen_failed') throw error;
    io.err(
      `toolflight proxy: cannot listen on 127.0.0.1:${parsed.port} (${listenFailure(error)}): free the port, or pass another --port (0 picks a free one)`,
    );
    return 1;
  }
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
    const credential = proxy.credential({ capture: parsed.capture });
    for (const line of agentConfig(proxy.url, credential, parsed.capture)) io.out(line);
    await Promise.race([stop, stdoutGone(io)]);
  } finally {
    watching.unsubscribe();
    await proxy.close();
    // After the close: the requests it ended are spans too.
    await otlp?.stop();
    stopOutboxLines();
    store?.close();
  }
  return 0;
}

/** `toolflight proxy`: runs until SIGINT or SIGTERM, then closes cleanly. */
export const proxy: Command = untilCtrlC(runProxy);
