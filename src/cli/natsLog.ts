// `replay`, `verify` and `inspect` over a NATS JetStream stream: `nats://[USER:PASS@]HOST:PORT/STREAM`.
import { messageOf, ToolflightError } from '../errors.js';
import { summarizeEvent } from '../index.js';
import { createLogChecker } from '../replay/index.js';
import { ReplayTally, type ReplayStep } from '../replay/replay.js';
import { readFleet, readJetStream, type ReadJetStreamOptions } from '../nats/index.js';
import type { RecordingProblem } from '../store/index.js';
import { inspectFleet } from './fleetInspect.js';
import type { CliIo } from './io.js';

/** Whether a command's argument names a stream rather than a file. */
export const isNatsUrl = (text: string): boolean => /^nats:\/\//i.test(text);

/** A `nats://` argument: where to connect, the stream, and the URL as it may be printed. */
export interface NatsTarget {
  readonly servers: string;
  readonly connection?: { readonly user?: string; readonly pass?: string };
  readonly stream: string;
  /** The URL with any credentials masked. */
  readonly shown: string;
}

/** Parse `nats://[USER[:PASS]@]HOST:PORT/STREAM`; a sentence saying what is wrong otherwise. */
export function parseNatsUrl(text: string): NatsTarget | string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `${JSON.stringify(text.replace(/\/\/[^@/]*@/, '//***@'))} is not a URL: give nats://HOST:PORT/STREAM`;
  }
  const path = url.pathname.replace(/^\//, '');
  if (url.protocol !== 'nats:' || url.hostname === '') return 'give nats://HOST:PORT/STREAM';
  if (!/^[A-Za-z0-9_-]{1,255}$/.test(path)) {
    return `the URL must end in /STREAM, one stream name of letters, digits, _ or - (got ${JSON.stringify(path.slice(0, 60))})`;
  }
  if (url.search !== '' || url.hash !== '') return 'the URL takes no ?query or #fragment';
  const port = url.port === '' ? 4222 : Number(url.port);
  const user = url.username === '' ? undefined : decodeURIComponent(url.username);
  const pass = url.password === '' ? undefined : decodeURIComponent(url.password);
  const host = url.hostname;
  return {
    servers: `nats://${host}:${port}`,
    ...(user === undefined
      ? {}
      : { connection: { user, ...(pass === undefined ? {} : { pass }) } }),
    stream: path,
    shown: `nats://${user === undefined ? '' : '***@'}${host}:${port}/${path}`,
  };
}

/** Filters and switches the commands pass on. */
export interface NatsReadFlags {
  readonly host?: string;
  readonly log?: string;
  readonly capture?: string;
  readonly prefix?: string;
  readonly json?: boolean;
}

const readOptions = (target: NatsTarget, flags: NatsReadFlags): ReadJetStreamOptions => ({
  servers: target.servers,
  ...(target.connection ? { connection: target.connection } : {}),
  stream: target.stream,
  ...(flags.prefix === undefined ? {} : { prefix: flags.prefix }),
  filter: {
    ...(flags.host === undefined ? {} : { host: flags.host }),
    ...(flags.log === undefined ? {} : { log: flags.log }),
    ...(flags.capture === undefined ? {} : { capture: flags.capture }),
  },
});

/**
 * `replay FILE` or `verify FILE` where FILE may be a stream: the exit code when FILE is a
 * `nats://` URL (checked with `checkStream`) or when the stream-only flags were given to a file,
 * undefined when FILE is a recording file for the command to read.
 */
export function streamCommand(
  command: 'replay' | 'verify',
  file: string,
  usage: string,
  flags: NatsReadFlags & { readonly until?: number },
  io: CliIo,
): Promise<number> | number | undefined {
  if (isNatsUrl(file)) {
    const target = parseNatsUrl(file);
    if (typeof target === 'string') {
      io.err(`toolflight ${command}: ${target}\n${usage}`);
      return 2;
    }
    return checkStream(command, target, flags, io);
  }
  if (flags.host !== undefined || flags.log !== undefined || flags.prefix !== undefined) {
    io.err(`toolflight ${command}: --host, --log and --prefix are for a nats:// stream\n${usage}`);
    return 2;
  }
  return undefined;
}

/** One host's log as a command checked it: its own checker, tally and (replay) timeline. */
interface SourceCheck {
  readonly host: string;
  readonly log: string;
  readonly tally: ReplayTally;
}

/** A timeline line of a merged stream: host, then what a file's timeline shows. */
function streamLine(host: string, step: ReplayStep, firstAt: number): string {
  const { event } = step;
  const where = event.capture === undefined ? '' : `${event.capture}#${event.gen ?? ''}`;
  return [
    host.padEnd(12),
    String(event.seq).padStart(6),
    `+${event.at - firstAt} ms`.padStart(11),
    event.type.padEnd(18),
    (event.id ?? '').padEnd(10),
    where.padEnd(16),
    (step.applied ? step.stateAfter : '!! refused').padEnd(22),
    summarizeEvent(event),
  ]
    .join('  ')
    .trimEnd();
}

/**
 * `replay` (with `timeline`) or `verify` over a stream: each host's log checked on its own
 * against the machines, all of them merged in time order for the timeline. Exit 1 when a log is
 * broken or a message unreadable, 1 with the reason when the stream cannot be read.
 */
export async function checkStream(
  command: 'replay' | 'verify',
  target: NatsTarget,
  flags: NatsReadFlags & { readonly until?: number },
  io: CliIo,
): Promise<number> {
  const problems: RecordingProblem[] = [];
  const sources = new Map<string, SourceCheck>();
  const timeline = command === 'replay' && flags.json !== true;
  let firstAt: number | undefined;
  try {
    for await (const { host, log, event } of readFleet({
      ...readOptions(target, flags),
      onProblem: (problem) => problems.push(problem),
    })) {
      const key = `${host}\n${log}`;
      let source = sources.get(key);
      if (!source) {
        const shown = `${target.shown} ${host} ${log}`;
        const onStep = (step: ReplayStep): void => {
          const from = (firstAt ??= step.event.at);
          io.out(streamLine(host, step, from));
          for (const violation of step.violations)
            io.out(`${' '.repeat(14)}!! ${violation.message}`);
        };
        source = {
          host,
          log,
          tally: new ReplayTally(createLogChecker(), {
            locate: () => ({ source: shown }),
            ...(timeline ? { onStep } : {}),
          }),
        };
        sources.set(key, source);
      }
      if (flags.until !== undefined && event.seq > flags.until) continue;
      source.tally.apply(event);
    }
  } catch (error) {
    if (!(error instanceof ToolflightError)) throw error;
    io.err(`toolflight ${command}: ${messageOf(error)}`);
    return 1;
  }
  const list = [...sources.values()];
  const broken = problems.length > 0 || list.some(({ tally }) => tally.violationCount > 0);
  if (flags.json === true) {
    io.out(
      JSON.stringify(
        {
          stream: target.shown,
          valid: !broken,
          sources: list.map(({ host, log, tally }) => ({
            host,
            log,
            events: tally.events,
            lastSeq: tally.lastSeq,
            valid: tally.violationCount === 0,
            violations: tally.violations,
            violationCount: tally.violationCount,
          })),
          problems,
        },
        null,
        2,
      ),
    );
  } else {
    if (timeline) io.out('');
    if (list.length === 0)
      io.out(
        `${target.shown}: no shipped events${flags.host || flags.log || flags.capture ? ' match the filter' : ''}`,
      );
    for (const { host, log, tally } of list) {
      const span = tally.events === 0 ? '' : `, seq to ${tally.lastSeq}`;
      const { state } = tally.checker;
      const live =
        command === 'replay'
          ? `; live at the end: ${state.byKey.size} captures, ${state.entities?.size ?? 0} in flight`
          : '';
      io.out(
        `${host} ${log}: ${tally.events} events${span}: ${tally.violationCount === 0 ? 'valid' : `${tally.violationCount} violations`}${live}`,
      );
    }
  }
  for (const problem of problems.slice(0, 20)) io.err(problem.message);
  for (const { tally } of list)
    for (const violation of tally.violations.slice(0, 20))
      io.err(`${violation.source}: ${violation.message}`);
  if (broken)
    io.err(
      `${target.shown}: broken: ${problems.length} unreadable messages, ${list.reduce((n, { tally }) => n + tally.violationCount, 0)} machine violations`,
    );
  return broken ? 1 : 0;
}

/**
 * `inspect nats://…`: the fleet view, following the stream live until Ctrl-C. The connection
 * is retried for ever (every 2 s) while NATS is away; the read goes on where it left off.
 */
export function inspectStream(
  target: NatsTarget,
  flags: NatsReadFlags,
  io: CliIo,
  bind: { readonly port?: number; readonly host?: string },
): Promise<number> {
  return inspectFleet(io, {
    title: target.shown,
    ...bind,
    readEvents: (signal) =>
      readJetStream({
        ...readOptions(target, flags),
        connection: { ...target.connection, maxReconnectAttempts: -1 },
        follow: true,
        signal,
        onProblem: (problem) => io.err(`toolflight inspect: ${problem.message}`),
      }),
  });
}
