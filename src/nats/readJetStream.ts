// A JetStream stream read as a recording: every shipped event, in stream order, or merged by
// time across the fleet's hosts.
import type { JsMsg } from '@nats-io/jetstream';

import { DecodeError } from '../events/codec.js';
import type { ToolflightEvent } from '../events/types.js';
import type { RecordingProblem } from '../store/recordingProblem.js';
import {
  openJetStream,
  shownServers,
  type FleetStreamOptions,
  type NatsServerOptions,
  type OpenJetStream,
} from './openJetStream.js';
import { NatsError } from './NatsError.js';
import { decodeBatch, SEQ_HEADER } from './shippedMessage.js';
import { filterSubject, parseSubject, type SubjectFilter } from './subjects.js';

/** Options of {@link readJetStream} and {@link readFleet}. */
export interface ReadJetStreamOptions
  extends NatsServerOptions, Pick<FleetStreamOptions, 'stream' | 'prefix'> {
  /** Only these hosts, logs or capture (server-side subject filters). */
  readonly filter?: SubjectFilter;
  /** Keep delivering what is shipped later, until `signal` aborts. Default: end at the stream's last message as of the start. */
  readonly follow?: boolean;
  /** Start after this stream seq (a reader that resumes gives the last `streamSeq` it saw). */
  readonly startAfter?: number;
  /**
   * Called for each stored message that is not a valid shipped message (skipped); without it,
   * the first one throws its `DecodeError`.
   */
  readonly onProblem?: (problem: RecordingProblem) => void;
  readonly signal?: AbortSignal;
}

/** One shipped event, with where it came from. */
export interface ShippedEvent {
  readonly host: string;
  readonly log: string;
  readonly event: ToolflightEvent;
  /** The event's JSONL line as shipped. */
  readonly line: string;
  /** The stream seq of the message that carried it. */
  readonly streamSeq: number;
}

/** One host's log in a stream. */
export interface FleetSource {
  readonly host: string;
  readonly log: string;
  /** Messages stored for it. */
  readonly messages: number;
}

/** Messages pulled at a time: at most this many are held ahead of the caller, per source. */
const FETCH = 1000;

/** Where a problem was: the stream's URL. */
const sourceName = (options: ReadJetStreamOptions, stream: string): string =>
  `${shownServers(options.servers).split(', ')[0]}/${stream}`;

/**
 * The subject a read takes: the filter's, with the wildcards it ends in made one `>`, so that a
 * message on a subject of the wrong shape under it is read and reported, not silently passed by.
 */
function readSubject(prefix: string, filter: SubjectFilter = {}): string {
  const tokens = filterSubject(prefix, filter)
    .slice(prefix.length + 1)
    .split('.');
  while (tokens.at(-1) === '*') tokens.pop();
  return tokens.length === 3
    ? `${prefix}.${tokens.join('.')}`
    : `${prefix}.${[...tokens, '>'].join('.')}`;
}

/**
 * The stored messages of `subject`, from `startAfter`. Pulled 1,000 at a time with the client's
 * `consume()`, whose next pull is sent only as the caller iterates: a reader left waiting (a
 * late host in a merge) holds about one batch, not its host's whole log (`readBounded.test.ts`
 * pins it). A read that does not follow ends at the stream's last message as of its start, or
 * sooner when the consumer has nothing more for it (a filter that matches nothing ends at once;
 * the filter's own `last_by_subj` is not asked, since nats-server 2.9 answers that wrongly for a
 * wildcard subject whose last messages were removed).
 */
async function* messages(
  open: OpenJetStream,
  options: ReadJetStreamOptions,
  subject: string,
): AsyncGenerator<JsMsg> {
  const { DeliverPolicy } = open.modules.jetstream;
  const info = await open.jsm.streams.info(open.stream);
  const start = (options.startAfter ?? 0) + 1;
  const end = options.follow ? Infinity : info.state.last_seq;
  if (start > end || options.signal?.aborted) return;
  const consumer = await open.js.consumers.get(open.stream, {
    filter_subjects: subject,
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: Math.max(start, info.state.first_seq),
  });
  try {
    if (!options.follow && (await consumer.info()).num_pending === 0) return;
    const stream = await consumer.consume({ max_messages: FETCH });
    const abort = () => stream.stop();
    options.signal?.addEventListener('abort', abort, { once: true });
    try {
      if (options.signal?.aborted) return;
      let last = start - 1;
      for await (const message of stream) {
        last = message.seq;
        yield message;
        if (!options.follow && (message.seq >= end || message.info.pending === 0)) return;
      }
      if (options.signal?.aborted) return;
      // The client stopped the read: the connection is gone for good (its reconnects gave up).
      throw new NatsError(
        'nats_unreachable',
        `the connection to NATS at ${shownServers(options.servers)} was lost and not regained, so the read of ${open.stream} stopped after stream seq ${last}: read again with startAfter: ${last}, or give connection.maxReconnectAttempts (-1: for ever)`,
      );
    } finally {
      options.signal?.removeEventListener('abort', abort);
      stream.stop();
    }
  } finally {
    // Ordered consumers are the server's to expire too; deleting says at once that it is done.
    await consumer.delete().catch(() => undefined);
  }
}

/** The events of one read, on a connection someone else closes. */
async function* shippedEvents(
  open: OpenJetStream,
  options: ReadJetStreamOptions,
): AsyncGenerator<ShippedEvent> {
  const where = sourceName(options, open.stream);
  for await (const message of messages(open, options, readSubject(open.prefix, options.filter))) {
    let batch;
    try {
      batch = decodeBatch(
        open.prefix,
        message.subject,
        message.headers?.get(SEQ_HEADER) || undefined,
        message.data,
        { source: where, line: message.seq },
      );
    } catch (error) {
      if (!options.onProblem || !(error instanceof DecodeError)) throw error;
      options.onProblem({
        source: where,
        line: message.seq,
        code: error.code,
        message: error.message,
      });
      continue;
    }
    for (let i = 0; i < batch.events.length; i++) {
      yield {
        host: batch.host,
        log: batch.log,
        event: batch.events[i]!,
        line: batch.lines[i]!,
        streamSeq: message.seq,
      };
    }
  }
}

const openForReading = (options: ReadJetStreamOptions): Promise<OpenJetStream> =>
  openJetStream(options, { ...options, create: false }, 'reading NATS', false);

/**
 * Every event shipped to a stream (or those `filter` selects), in stream order: each host's
 * log in its own seq order, hosts interleaved as they shipped. Rejects with a `NatsError` when
 * the server cannot be reached, has no JetStream, or the stream does not exist. Messages are
 * pulled in batches of 1,000 as the caller reads. A message under
 * the prefix (and the filter) whose subject is not a shipped one is a problem, like a bad payload.
 *
 * @example
 * for await (const { host, event } of readJetStream({ servers: 'nats://127.0.0.1:4222' })) console.log(host, event.type);
 */
export async function* readJetStream(options: ReadJetStreamOptions): AsyncGenerator<ShippedEvent> {
  const open = await openForReading(options);
  try {
    yield* shippedEvents(open, options);
  } finally {
    await open.nc.close().catch(() => undefined);
  }
}

/** The hosts' logs a stream holds (those `filter` selects), sorted by host and log. */
export async function fleetSources(options: ReadJetStreamOptions): Promise<FleetSource[]> {
  const open = await openForReading(options);
  try {
    return await sourcesOf(open, options);
  } finally {
    await open.nc.close().catch(() => undefined);
  }
}

async function sourcesOf(
  open: OpenJetStream,
  options: ReadJetStreamOptions,
): Promise<FleetSource[]> {
  const info = await open.jsm.streams.info(open.stream, {
    subjects_filter: filterSubject(open.prefix, options.filter),
  });
  const counts = new Map<string, FleetSource>();
  for (const [subject, count] of Object.entries(info.state.subjects ?? {})) {
    const from = parseSubject(open.prefix, subject);
    if (from === undefined) continue;
    const key = `${from.host}\n${from.log}`;
    const before = counts.get(key);
    counts.set(key, {
      host: from.host,
      log: from.log,
      messages: (before?.messages ?? 0) + count,
    });
  }
  return [...counts.values()].sort((a, b) =>
    a.host === b.host ? (a.log < b.log ? -1 : 1) : a.host < b.host ? -1 : 1,
  );
}

/**
 * Every host's log of the stream, each read on its own and merged in `at` order (ties: host,
 * log, seq): what a fleet view or a merged replay reads. Not `follow`. One connection, a
 * consumer per host's log; each holds at most one batch (1,000 messages) ahead of the merge.
 */
export async function* readFleet(options: ReadJetStreamOptions): AsyncGenerator<ShippedEvent> {
  const open = await openForReading(options);
  const readers: AsyncGenerator<ShippedEvent>[] = [];
  try {
    const sources = await sourcesOf(open, options);
    for (const source of sources) {
      readers.push(
        shippedEvents(open, {
          ...options,
          follow: false,
          filter: { ...options.filter, host: source.host, log: source.log },
        }),
      );
    }
    const heads: (ShippedEvent | undefined)[] = await Promise.all(
      readers.map(async (reader) => (await reader.next()).value as ShippedEvent | undefined),
    );
    const before = (a: ShippedEvent, b: ShippedEvent): boolean =>
      a.event.at !== b.event.at
        ? a.event.at < b.event.at
        : a.host !== b.host
          ? a.host < b.host
          : a.log !== b.log
            ? a.log < b.log
            : a.event.seq < b.event.seq;
    for (;;) {
      let best = -1;
      for (let i = 0; i < heads.length; i++) {
        const head = heads[i];
        if (head !== undefined && (best < 0 || before(head, heads[best]!))) best = i;
      }
      if (best < 0) return;
      yield heads[best]!;
      heads[best] = (await readers[best]!.next()).value as ShippedEvent | undefined;
    }
  } finally {
    await Promise.all(readers.map((reader) => reader.return(undefined).catch(() => undefined)));
    await open.nc.close().catch(() => undefined);
  }
}
