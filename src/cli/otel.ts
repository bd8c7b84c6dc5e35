// `toolflight otel RECORDING --endpoint URL`: a recording's spans and metrics to an OpenTelemetry
// collector; and `--otlp URL`, the same export beside a live `proxy`, `gateway` or `demo`.
import { messageOf, ToolflightError } from '../errors.js';
import type { CapturesView, ToolflightEvent } from '../index.js';
import type * as OtelModule from '../otel/index.js';
import type { OtlpExport } from '../otel/index.js';
import { MAX_TIMEOUT_MS } from '../otel/otlpLimits.js';
import { otlpUrls } from '../otel/otlpUrls.js';
import type { CliIo, Command } from './io.js';
import { parseCommandArgs } from './parseCommandArgs.js';
import { openCliLog } from './readLog.js';

const USAGE = [
  'usage: toolflight otel RECORDING --endpoint URL [--header K=V]... [--service NAME] [--content]',
  '',
  'Export a recording (JSONL or SQLite) to an OpenTelemetry collector over OTLP/HTTP (JSON): a',
  'span per request, tool call and upstream request, with the trace ids the log recorded, and',
  'the MCP metrics. The same recording gives the same spans each time. Exit 1 when spans were',
  'lost (a failed export stops the rest) or lines of the recording could not be read.',
  '',
  'options:',
  '  --endpoint URL  the collector, http(s): /v1/traces and /v1/metrics are added to it, as for',
  '                  OTEL_EXPORTER_OTLP_ENDPOINT (http://localhost:4318); a URL that ends in',
  '                  /v1/traces is the traces URL as given',
  '  --header K=V    send this header with every export (repeatable): an API key, say; header',
  '                  values are never printed',
  '  --service NAME  the service.name of the spans and metrics (default toolflight)',
  '  --content       include tool arguments and results in the spans, masked as the inspector',
  '                  masks them (off by default: they may hold what should not leave)',
  '  -h, --help      show this help',
  '',
  'environment:',
  '  OTEL_EXPORTER_OTLP_TIMEOUT  ms one export may take, retries included (default 10000)',
].join('\n');

/**
 * @internal The export timeout of `--otlp` (unless `OTEL_EXPORTER_OTLP_TIMEOUT` says), which is
 * also how long the command's exit waits for the collector: shorter than the one-shot export's.
 */
export const LIVE_OTLP_TIMEOUT_MS = 5000;

/** Spans ended between two waits for the collector: well below the batch queue's 2048. */
const FLUSH_EVERY = 1024;
/** How many unreadable lines of a recording are shown. */
const SHOWN = 20;

/** A usage problem: the message to print, with the usage, before exiting with code 2. */
class UsageError extends Error {}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

/** Spans `toolflight otel` holds for export: whatever one event of a recording may end. */
const RECORDING_QUEUE = 1 << 20;

/**
 * `toolflight/otel`, loaded when a command exports: `@opentelemetry/api` is an optional peer,
 * and every other command runs without it.
 */
async function loadOtel(): Promise<typeof OtelModule> {
  try {
    return await import('../otel/index.js');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code !== 'ERR_MODULE_NOT_FOUND' || !messageOf(error).includes('@opentelemetry/api')) {
      throw error;
    }
    throw new ToolflightError(
      'missing_peer',
      'OpenTelemetry export needs the optional peer dependency @opentelemetry/api, not installed: run `npm install @opentelemetry/api`',
      { cause: error },
    );
  }
}

/** An error's message on one line, as stderr lines are read. */
const oneLine = (error: unknown): string => messageOf(error).replace(/\s*\n\s*/g, ' ');

/**
 * The export timeout from `OTEL_EXPORTER_OTLP_TIMEOUT` (ms), or `fallback` when it is not set.
 * Throws a `ToolflightError` `invalid_argument` when it is not a positive integer.
 */
function otlpTimeout(env: NodeJS.ProcessEnv, fallback: number): number {
  const value = env.OTEL_EXPORTER_OTLP_TIMEOUT;
  if (value === undefined || value === '') return fallback;
  const ms = /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(ms) || ms <= 0 || ms > MAX_TIMEOUT_MS) {
    throw new ToolflightError(
      'invalid_argument',
      `OTEL_EXPORTER_OTLP_TIMEOUT must be a positive number of milliseconds up to ${MAX_TIMEOUT_MS}, got ${JSON.stringify(value.slice(0, 32))}`,
    );
  }
  return ms;
}

/** `K=V` pairs as headers; a pair without `=` is refused without quoting it (it may be a key). */
function headersOf(pairs: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [i, pair] of pairs.entries()) {
    const at = pair.indexOf('=');
    if (at <= 0) {
      throw new UsageError(
        `--header takes NAME=VALUE, and header ${i + 1} has ${at === 0 ? 'no name' : 'no "="'} (it is not shown: it may hold a key)`,
      );
    }
    headers[pair.slice(0, at).trim()] = pair.slice(at + 1);
  }
  return headers;
}

/** Reads the recording for the projection, waiting for the collector every `FLUSH_EVERY` spans. */
async function* paced(
  events: Iterable<ToolflightEvent>,
  otlp: OtlpExport,
  counted: { events: number },
): AsyncGenerator<ToolflightEvent> {
  let flushedAt = 0;
  for (const event of events) {
    counted.events += 1;
    yield event;
    const { spansEnded } = otlp.counts();
    if (spansEnded - flushedAt < FLUSH_EVERY) continue;
    flushedAt = spansEnded;
    await otlp.flush();
    // The collector refused or is not there: the rest of the recording would fail the same way.
    if (otlp.counts().spansFailed > 0) return;
  }
}

/** What `check` returns; its `ToolflightError` becomes the usage error `usage` builds. */
function asUsage<T>(check: () => T, usage: (message: string) => Error, prefix = ''): T {
  try {
    return check();
  } catch (error) {
    if (!(error instanceof ToolflightError)) throw error;
    throw usage(`${prefix}${error.message}`);
  }
}

const otelUsage = (message: string) => new UsageError(message);

interface OtelCommand {
  readonly file: string;
  readonly endpoint: string;
  readonly headers: Record<string, string>;
  readonly serviceName?: string;
  readonly captureContent: boolean;
  readonly timeoutMs: number;
}

function parse(args: readonly string[], io: CliIo): OtelCommand | number {
  const parsed = parseCommandArgs('otel', USAGE, io, {
    args: [...args],
    allowPositionals: true,
    options: {
      endpoint: { type: 'string' },
      header: { type: 'string', multiple: true },
      service: { type: 'string' },
      content: { type: 'boolean' },
    },
  });
  if (typeof parsed === 'number') return parsed;
  const [file, ...extra] = parsed.positionals;
  if (file === undefined || extra.length > 0)
    throw new UsageError('give exactly one recording file');
  const { endpoint, header, service, content } = parsed.values;
  if (endpoint === undefined) throw new UsageError('give the collector: --endpoint URL');
  asUsage(() => otlpUrls(endpoint), otelUsage, '--endpoint: ');
  if (service !== undefined && service.trim() === '') {
    throw new UsageError('--service must not be empty');
  }
  return {
    file,
    endpoint,
    headers: headersOf(header ?? []),
    ...(service === undefined ? {} : { serviceName: service }),
    captureContent: content === true,
    timeoutMs: asUsage(() => otlpTimeout(process.env, 10_000), otelUsage),
  };
}

/** `toolflight otel RECORDING --endpoint URL`: export a recording's spans and metrics. */
export const otel: Command = async (args, io: CliIo) => {
  let options: OtelCommand;
  try {
    const result = parse(args, io);
    if (typeof result === 'number') return result;
    options = result;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`toolflight otel: ${error.message}\n${USAGE}`);
    return 2;
  }

  // A missing or unreadable file is refused here, before anything is loaded or sent.
  const log = openCliLog(options.file, io);
  const { otelProjection, otlpExport } = await loadOtel();
  let otlp: OtlpExport;
  try {
    otlp = await otlpExport({
      ...options,
      // A recording's end (or a capture cleared) ends every span still open at once.
      maxQueueSize: RECORDING_QUEUE,
      onError: (error) => io.err(`toolflight otel: ${oneLine(error)}`),
    });
  } catch (error) {
    // A header otlpExport cannot send is the flag's problem (the file was only opened).
    if (!(error instanceof ToolflightError) || error.code !== 'invalid_argument') throw error;
    io.err(`toolflight otel: --header: ${error.message}\n${USAGE}`);
    return 2;
  }
  const counted = { events: 0 };
  const projection = otelProjection({
    source: paced(log.events, otlp, counted),
    tracerProvider: otlp.tracerProvider,
    meterProvider: otlp.meterProvider,
    captureContent: options.captureContent,
    onError: (error) => io.err(`toolflight otel: warning: ${oneLine(error)}`),
  });
  try {
    await projection.done;
  } finally {
    log.done();
    await otlp.shutdown();
  }

  const { spansEnded, spansExported } = otlp.counts();
  // Failed exports, and spans the batch dropped: ended, never exported.
  const lost = spansEnded - spansExported;
  io.out(
    `${options.file}: ${plural(counted.events, 'event')}, ${plural(spansExported, 'span')} exported to ${otlp.endpoint}${lost === 0 ? '' : `, ${lost} not exported`}`,
  );
  let code = 0;
  if (lost > 0) {
    io.err(
      `toolflight otel: ${plural(lost, 'span')} could not be exported: is a collector listening on ${otlp.endpoint}? (OTEL_EXPORTER_OTLP_TIMEOUT gives it longer)`,
    );
    code = 1;
  }
  if (log.problems.length > 0) {
    for (const problem of log.problems.slice(0, SHOWN)) io.err(problem.message);
    if (log.problems.length > SHOWN) io.err(`… and ${log.problems.length - SHOWN} more`);
    io.err(
      `${options.file}: the log is broken: ${plural(log.problems.length, 'unreadable line')} skipped (\`toolflight verify\` says more)`,
    );
    code = 1;
  }
  return code;
};

/** @internal `--otlp URL` as a command took it. */
export interface OtlpOption {
  readonly endpoint: string;
  /** How long one export, and the command's exit, may wait for the collector. */
  readonly timeoutMs: number;
}

/**
 * @internal `--otlp URL` checked (`undefined` when not given), with its export timeout from
 * `OTEL_EXPORTER_OTLP_TIMEOUT`; a problem is thrown as `usage` builds the command's usage error.
 */
export function otlpOption(
  endpoint: string | undefined,
  env: NodeJS.ProcessEnv,
  usage: (message: string) => Error,
): OtlpOption | undefined {
  if (endpoint === undefined) return undefined;
  asUsage(() => otlpUrls(endpoint), usage, '--otlp: ');
  return { endpoint, timeoutMs: asUsage(() => otlpTimeout(env, LIVE_OTLP_TIMEOUT_MS), usage) };
}

/** @internal `--otlp URL` running beside a command: end it as the command ends. */
export interface OtlpFollower {
  /** Stop following, export what is left, at most for the export timeout; print a summary. */
  readonly stop: () => Promise<void>;
}

/**
 * @internal Export `tracker`'s spans and metrics to `endpoint` as they happen (`--otlp URL` of
 * `proxy`, `gateway` and `demo`). A failed export is one stderr line (repeats are held back
 * until an export succeeds again); it never reaches the command's path. Rejects with the
 * `ToolflightError` of a missing SDK package.
 */
export async function followWithOtlp(
  command: string,
  { endpoint, timeoutMs }: OtlpOption,
  tracker: CapturesView,
  io: CliIo,
): Promise<OtlpFollower> {
  const { otelProjection, otlpExport } = await loadOtel();
  let shownAt = -1;
  const otlp: OtlpExport = await otlpExport({
    endpoint,
    timeoutMs,
    onError: (error) => {
      const { spansExported, metricExports } = otlp.counts();
      if (spansExported + metricExports === shownAt) return;
      shownAt = spansExported + metricExports;
      io.err(`toolflight ${command}: ${oneLine(error)}`);
    },
  });
  const projection = otelProjection({
    source: tracker,
    tracerProvider: otlp.tracerProvider,
    meterProvider: otlp.meterProvider,
    onError: (error) => io.err(`toolflight ${command}: warning: ${oneLine(error)}`),
  });
  return {
    stop: async () => {
      projection.close();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const deadline = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
        // An exit that waits for nothing else must not wait for this timer either.
        timer.unref();
      });
      const done = await Promise.race([otlp.shutdown().then(() => true as const), deadline]);
      clearTimeout(timer);
      const { spansEnded, spansExported } = otlp.counts();
      const lost = spansEnded - spansExported;
      io.err(
        `toolflight ${command}: ${plural(spansExported, 'span')} exported to ${otlp.endpoint}${lost === 0 ? '' : `, ${lost} not exported`}${done ? '' : ` (stopped waiting for the collector after ${timeoutMs} ms)`}`,
      );
    },
  };
}
