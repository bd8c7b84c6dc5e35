// `toolflight gateway`: one tracked MCP endpoint on 127.0.0.1 in front of every server of an
// `mcpServers` config file (Claude Desktop's, `.mcp.json`, Cursor's), their tools as
// `<server>__<tool>`.
import { ToolflightError, type EventStore } from '../index.js';
import {
  agentEntry,
  createGateway,
  GatewayError,
  gatewayServers,
  hideTools,
  type Gateway,
  type GatewayServer,
  type McpServersConfig,
} from '../mcp/index.js';
import { captureKeyProblem } from '../mcp/endpoint/captureCredentials.js';
import { timerMs } from '../http/connectionLimits.js';
import type { CliIo, Command } from './io.js';
import { readMcpServersFile } from './readMcpServersFile.js';
import { parseCommandArgs } from './parseCommandArgs.js';
import {
  commandTracker,
  listenFailure,
  openRecording,
  stdoutGone,
  untilCtrlC,
} from './endpointCommand.js';
import { LIVE_OTLP_TIMEOUT_MS, otlpOption, type OtlpOption } from './otel.js';

const USAGE = [
  'usage: toolflight gateway --config FILE [options]',
  '',
  'One tracked MCP endpoint in front of every server of an mcpServers config file (Claude',
  "Desktop's, .mcp.json, Cursor's): agents get one entry, and every server's tools as",
  '<server>__<tool>. ${VAR} in the file is read from this environment; servers start on first use.',
  '',
  'options:',
  '  --config FILE       the mcpServers JSON file (required)',
  '  --port N            the port to listen on (default: any free port)',
  '  --hide TOOL         hide tools from agents, by gateway name <server>__<tool> (repeatable;',
  '                      * and ? wildcards)',
  '  --capture KEY       the capture key agents are tracked under (default: gateway); the',
  '                      printed credential admits that capture only',
  '  --record FILE       write every event to a new JSONL recording (`toolflight inventory`',
  '                      reads it)',
  '  --overwrite         with --record: replace the recording if FILE already holds one',
  '  --request-timeout-ms N',
  '                      wait at most N ms for a server to answer a request, each progress',
  '                      notification starting the wait again (default 60000)',
  '  --otlp URL          export spans and metrics to an OpenTelemetry collector over OTLP/HTTP',
  '                      (http://localhost:4318: /v1/traces and /v1/metrics are added); at',
  '                      exit, waits for the last export at most $OTEL_EXPORTER_OTLP_TIMEOUT',
  `                      ms (default ${LIVE_OTLP_TIMEOUT_MS})`,
  '  -h, --help          show this help',
].join('\n');

const ENV_TOKEN = 'TOOLFLIGHT_GATEWAY_TOKEN';

/** A usage problem: the message to print, with the usage, before exiting with code 2. */
class UsageError extends Error {}

/** A problem with the config file: its message (file, server, field) alone, then exit 2. */
class ConfigError extends Error {}

interface GatewayCommand {
  readonly config: string;
  readonly port: number;
  readonly hide: readonly string[];
  readonly capture: string;
  readonly record: string | undefined;
  readonly overwrite: boolean;
  readonly requestTimeoutMs: number | undefined;
  /** `--otlp URL`, and how long one export (and exit) may wait for the collector. */
  readonly otlp: OtlpOption | undefined;
}

function parse(
  args: readonly string[],
  io: CliIo,
  env: NodeJS.ProcessEnv,
): GatewayCommand | number {
  const parsed = parseCommandArgs('gateway', USAGE, io, {
    args: [...args],
    options: {
      config: { type: 'string' },
      port: { type: 'string' },
      hide: { type: 'string', multiple: true },
      capture: { type: 'string' },
      record: { type: 'string' },
      overwrite: { type: 'boolean' },
      'request-timeout-ms': { type: 'string' },
      otlp: { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  if (values.config === undefined || values.config === '') {
    throw new UsageError('give the mcpServers file: --config FILE');
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535 || values.port === '') {
    throw new UsageError(`--port must be an integer 0..65535, got ${JSON.stringify(values.port)}`);
  }
  if (values.overwrite === true && values.record === undefined) {
    throw new UsageError('--overwrite is for --record FILE: it replaces that recording');
  }
  if (values.record === '') throw new UsageError('--record must name a file');
  const timeout = values['request-timeout-ms'];
  // Digits become a number for the library's own check; anything else is shown as typed.
  const requestTimeoutMs = timerMs(
    timeout !== undefined && /^\d+$/.test(timeout) ? Number(timeout) : timeout,
    '--request-timeout-ms',
    (message) => new UsageError(message),
  );
  const otlp = otlpOption(values.otlp, env, (message) => new UsageError(message));
  const capture = values.capture ?? 'gateway';
  const captureProblem = captureKeyProblem(capture);
  if (captureProblem !== undefined) throw new UsageError(`--capture: ${captureProblem}`);
  return {
    config: values.config,
    port,
    hide: values.hide ?? [],
    capture,
    record: values.record,
    overwrite: values.overwrite === true,
    requestTimeoutMs,
    otlp,
  };
}

/**
 * The gateway's servers from the config file: variables expanded from `env`, commands looked
 * up, so that what cannot start is refused now. Every problem is a `ConfigError` (exit 2) whose
 * message names the file, the server and the field, never a variable's value.
 */
function serversOf(
  parsed: GatewayCommand,
  env: NodeJS.ProcessEnv,
): { config: McpServersConfig; servers: Record<string, GatewayServer> } {
  try {
    const config = readMcpServersFile(parsed.config);
    if (config.servers.length === 0) {
      const disabled = config.disabled.length;
      throw new ConfigError(
        `${parsed.config} lists no server to start${disabled === 0 ? '' : ` (${disabled} disabled)`}: add one under "mcpServers"`,
      );
    }
    return { config, servers: gatewayServers(config, env, { source: parsed.config }) };
  } catch (error) {
    // The reader's and the library's errors are all about the file.
    if (!(error instanceof ToolflightError)) throw error;
    throw new ConfigError(error.message);
  }
}

/**
 * What the operator and the agent need: where it listens, the servers behind it, and the one
 * `mcpServers` entry an agent gets (a placeholder only) with the variable that holds its
 * credential, which admits the `--capture` key and nothing else.
 */
function startLines(gateway: Gateway, parsed: GatewayCommand, config: McpServersConfig): string[] {
  const entry = agentEntry({ url: gateway.url, credential: `\${${ENV_TOKEN}}` });
  const names = [...config.servers.map((server) => server.name), ...config.disabled];
  const width = Math.max(...names.map((server) => server.length));
  return [
    `toolflight gateway listening on ${gateway.url}`,
    `servers from ${parsed.config}:`,
    ...config.servers.map((server) => `  ${server.name.padEnd(width)}  ${server.transport}`),
    ...config.disabled.map((server) => `  ${server.padEnd(width)}  disabled (not started)`),
    `agent config (--mcp-config), tracked as capture ${JSON.stringify(parsed.capture)}:`,
    JSON.stringify(entry),
    'agent environment:',
    `${ENV_TOKEN}=${gateway.credential({ capture: parsed.capture })}`,
  ];
}

/**
 * Run the gateway until `stop` resolves (or stdout closes); resolves to the exit code (2 for
 * bad flags or a bad config file). The command registered in the CLI stops on SIGINT or
 * SIGTERM. `env` is where the config's `${VAR}`s are read from.
 */
export async function runGateway(
  args: readonly string[],
  io: CliIo,
  stop: Promise<unknown>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  let parsed: GatewayCommand;
  let config: McpServersConfig;
  let servers: Record<string, GatewayServer>;
  let store: EventStore | undefined;
  try {
    const result = parse(args, io, env);
    if (typeof result === 'number') return result;
    parsed = result;
    ({ config, servers } = serversOf(parsed, env));
    store = openRecording(parsed.record, parsed.overwrite, (message) => new UsageError(message));
  } catch (error) {
    if (error instanceof ConfigError) io.err(`toolflight gateway: ${error.message}`);
    else if (error instanceof UsageError) io.err(`toolflight gateway: ${error.message}\n${USAGE}`);
    else throw error;
    return 2;
  }
  const { tracker, otlp } = await commandTracker(
    io,
    'gateway',
    { store, path: parsed.record },
    parsed.otlp,
  );
  tracker.beginCapture(parsed.capture);
  let gateway: Gateway;
  try {
    gateway = await createGateway({
      tracker,
      servers,
      port: parsed.port,
      ...(parsed.requestTimeoutMs === undefined
        ? {}
        : { requestTimeoutMs: parsed.requestTimeoutMs }),
      ...(parsed.hide.length === 0 ? {} : { narrow: hideTools(parsed.hide) }),
      logger: { warn: (message) => io.err(`toolflight gateway: ${message}`) },
    });
  } catch (error) {
    await otlp?.stop();
    store?.close();
    if (!(error instanceof GatewayError) || error.code !== 'listen_failed') throw error;
    io.err(
      `toolflight gateway: cannot listen on 127.0.0.1:${parsed.port} (${listenFailure(error)}): free the port, or pass another --port (0 picks a free one)`,
    );
    return 1;
  }
  const watching = gateway.notices$.subscribe((notice) => {
    // A server's stderr lines go to the recording; its state and its catalogs, to the operator.
    if (notice.type === 'catalog.listed') {
      const { server, tools, kept } = notice.data;
      const count = `${tools.length} tool${tools.length === 1 ? '' : 's'}`;
      io.err(
        kept === true
          ? `server ${server} serves ${count} kept from an earlier run until it lists`
          : `server ${server} listed ${count}`,
      );
    } else if (notice.type === 'upstream.changed' && notice.data.stderr === undefined) {
      const { server, state, reason, retryInMs } = notice.data;
      const retry = retryInMs === undefined ? '' : `, retrying in ${retryInMs} ms`;
      io.err(`server ${server} ${state}${reason === undefined ? '' : `: ${reason}`}${retry}`);
    }
  });
  try {
    for (const line of startLines(gateway, parsed, config)) io.out(line);
    await Promise.race([stop, stdoutGone(io)]);
  } finally {
    watching.unsubscribe();
    await gateway.close();
    // After the close: the requests it ended are spans too.
    await otlp?.stop();
    store?.close();
  }
  return 0;
}

/** `toolflight gateway`: runs until SIGINT or SIGTERM, then closes cleanly. */
export const gateway: Command = untilCtrlC(runGateway);
