// A host's log shipped to NATS JetStream through a local durable spool.
//
// Why nothing is lost or stored twice:
// - The tracker's store is a JSONL file in the spool folder: an event is on disk (handed to the
//   OS) before `append` returns, whatever NATS does. Publishing happens later, in seq order.
// - The connection is made with the client's reconnect switched off, and the shipper makes a
//   new one itself. So a publish on a broken connection fails instead of waiting in the
//   client's buffer to be sent after a reconnect, behind messages the broken connection lost
//   (which would store k+1 without k). On one connection, the server stores messages in the
//   order they came, so what a connection got stored is a prefix of what was sent on it.
// - After every (re)connect, and for every log found in the spool at start, the shipper asks
//   the stream for the last message of that host's log (`last_by_subj` on its subjects) and
//   goes on after its last seq: the stream's truth decides, not a local note that a crash could
//   leave behind. A message stored whose acknowledgement was lost is therefore not sent again;
//   `Nats-Msg-Id` (host, log, first seq) is the second line, inside the duplicate window.
// - A log's progress moves only through acknowledgements taken in the order the messages were
//   sent. A message that was refused (a JetStream error: too big, storage full) or whose answer
//   never came, with later ones of the same log stored, would leave a hole: on the next
//   connection the shipper reads that log's messages stored since its last acknowledged one,
//   keeps them while their seqs follow on, removes the rest from the stream, and sends them
//   again under ids with a repair token (the dedupe window remembers the removed ones' ids).
//   After a failure it sends one message of that log at a time until one is stored.
// - An acknowledgement that says "duplicate" is checked: the message it names must still be in
//   the stream and hold the same seqs (a message removed by a repair before a crash is not).
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

import type { JetStreamClient, MsgRequest, NextMsgRequest, PubAck } from '@nats-io/jetstream';
import { asyncScheduler, type SchedulerLike, type Subscription } from 'rxjs';

import { messageOf, ToolflightError } from '../errors.js';
import { encodeEvent } from '../events/codec.js';
import type { ToolflightEvent } from '../events/types.js';
import type { EventStore } from '../store/EventStore.js';
import { createJsonlStore } from '../store/jsonlStore.js';
import { StoreListeners } from '../store/listeners.js';
import { readJsonl } from '../store/readJsonl.js';
import { NatsError } from './NatsError.js';
import {
  openJetStream,
  shownServers,
  type FleetStreamOptions,
  type NatsServerOptions,
  type OpenJetStream,
} from './openJetStream.js';
import {
  batchPayload,
  messageId,
  parseSeqHeader,
  SEQ_HEADER,
  seqHeader,
} from './shippedMessage.js';
import { checkName, eventSubject, filterSubject } from './subjects.js';

/** Options of {@link shipToJetStream}. */
export interface ShipperOptions extends NatsServerOptions, FleetStreamOptions {
  /** This host's name in subjects and fleet views: 1 to 128 of `A-Za-z0-9._:@-`. */
  readonly host: string;
  /**
   * A folder for this host's logs until they are shipped (created if missing): one
   * `<log>.jsonl` per log. A shipper started on a folder that holds logs of a crashed run ships
   * their rest first. One shipper at a time per folder (a `lock` file holds its pid).
   */
  readonly spool: string;
  /** The new log's id; default: the time in base 36 and 4 random bytes. */
  readonly log?: string;
  /** Events in one message at most. Default 256. */
  readonly maxBatchEvents?: number;
  /** Bytes of one message's payload at most (one bigger event goes alone). Default 256 KiB. */
  readonly maxBatchBytes?: number;
  /** Messages published and not yet acknowledged. Default 64. */
  readonly maxInFlight?: number;
  /** Events held in memory for publishing; past it, they are read back from the spool. Default 100,000. */
  readonly maxQueued?: number;
  /** How long one publish waits for its acknowledgement. Default 5,000 ms. */
  readonly ackTimeoutMs?: number;
  /** Keep a log's file in the spool after it is shipped and closed. Default false. */
  readonly keep?: boolean;
  /** Told about each failure (once per distinct problem in a row); shipping goes on. */
  readonly onError?: (error: Error) => void;
  /** Timers of the reconnect backoff (100 ms to 5 s) and of `close`'s deadline. Default: RxJS `asyncScheduler`; pass a virtual one in tests. */
  readonly scheduler?: SchedulerLike;
}

/** What a shipper has done so far. */
export interface ShipperStats {
  /** The seq of the last event appended to the current log. */
  readonly appended: number;
  /** The seq of the last event of the current log the stream acknowledged. */
  readonly acknowledged: number;
  /** Events of every log in the spool not acknowledged yet. */
  readonly pending: number;
  readonly messages: number;
  /** Times the shipper asked the stream where a log stands (each connect, each old log). */
  readonly resyncs: number;
  readonly connected: boolean;
  /** Holes repaired: times messages stored after a lost one were removed to be sent again. */
  readonly repairs: number;
  /** Logs of earlier runs still being shipped. */
  readonly olderLogs: number;
}

/** A running shipper: give its `store` to `createTracker`. */
export interface Shipper {
  /** The current log's store: pass it to `createTracker({ store })`. */
  readonly store: EventStore;
  readonly host: string;
  readonly log: string;
  readonly stats: () => ShipperStats;
  /** Resolves once every event appended so far (every log of the spool) is acknowledged. */
  readonly flushed: () => Promise<void>;
  /**
   * Ship what is left for up to `deadlineMs` (default 10,000), then stop, close the connection
   * and the spool file; a shipped log's file is removed unless `keep`.
   */
  readonly close: (deadlineMs?: number) => Promise<void>;
}

const DEFAULTS = {
  maxBatchEvents: 256,
  maxBatchBytes: 256 * 1024,
  maxInFlight: 64,
  maxQueued: 100_000,
  ackTimeoutMs: 5000,
};
const BACKOFF_MS = [100, 250, 500, 1000, 2000, 5000];

/** One message sent on the current connection, until it is acknowledged in order. */
interface Sent {
  readonly first: number;
  readonly last: number;
  state: 'pending' | 'stored' | 'failed';
  /** Its stream seq, once stored. */
  streamSeq: number;
  /** Failed with a JetStream error, so certainly not stored. */
  refused: boolean;
}

/** One message's events and their JSONL lines. */
interface Batch {
  readonly events: ToolflightEvent[];
  readonly lines: string[];
  bytes: number;
}

/** A log being shipped: the current one (fed by appends) or one an earlier run left. */
interface SpoolLog {
  readonly log: string;
  readonly path: string;
  readonly current: boolean;
  /** The last seq on disk (for an old log: what its file holds). */
  last: number;
  /** The last seq the stream holds, with no gap before it. */
  acked: number;
  /** The stream seq of the message that holds `acked` (0: unknown or none). */
  good: number;
  /** Messages sent on this connection and not acknowledged in order yet. */
  sent: Sent[];
  /**
   * Messages of this log may be stored past `acked` with a gap: on connecting, read back what
   * is stored after this stream seq (undefined: nothing to read back).
   */
  suspect: number | undefined;
  /** After a failure: one message in flight until one is stored. */
  probe: boolean;
  /** The repair token of the message ids ('' until a hole is repaired). */
  repair: string;
  /** The next seq to publish. */
  next: number;
  /** Events in memory, `queue[head..]`, consecutive (current log only). */
  queue: ToolflightEvent[];
  head: number;
  /** Appends stopped going to the queue: the events past it are read from the file. */
  spilled: boolean;
  closed: boolean;
}

const checkCount = (name: string, value: unknown, fallback: number): number => {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new NatsError(
      'invalid_argument',
      `${name} must be a whole number of at least 1, got ${JSON.stringify(value) ?? typeof value}`,
    );
  }
  return value;
};

const pidAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
};

/** Take the spool's lock; a lock left by a dead process is taken over. */
function lockSpool(dir: string): () => void {
  const path = join(dir, 'lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as { code?: string }).code !== 'EEXIST') throw error;
      const pid = Number(readFileSync(path, 'utf8'));
      if (Number.isSafeInteger(pid) && pid > 0 && pidAlive(pid)) {
        throw new NatsError(
          'invalid_argument',
          `the spool ${dir} is in use by process ${pid}: give each shipper its own spool folder`,
        );
      }
      rmSync(path, { force: true });
    }
  }
  throw new NatsError('invalid_argument', `could not lock the spool ${dir}`);
}

/**
 * Ship a host's log to a JetStream stream: `createTracker({ store: shipper.store })`, and every
 * event goes to `<prefix>.<host>.<log>.<capture>`, batched, in order, exactly once, through the
 * spool folder. Appending never waits on NATS: when NATS is down the events wait on disk, and
 * the shipper reconnects with backoff. Rejects for bad options or an unusable spool folder;
 * everything after that goes to `onError`. Needs the optional peers `@nats-io/transport-node`
 * and `@nats-io/jetstream`.
 *
 * @example
 * const shipper = await shipToJetStream({ servers: 'nats://127.0.0.1:4222', host: 'host-a', spool: 'spool' });
 * const tracker = createTracker({ store: shipper.store });
 */
// Async on purpose: a later step (a first connect to wait for) must not change the signature.
// eslint-disable-next-line @typescript-eslint/require-await
export async function shipToJetStream(options: ShipperOptions): Promise<Shipper> {
  let host: string;
  let logId: string;
  try {
    host = checkName('host', options.host);
    logId = checkName(
      'log',
      options.log ?? `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`,
    );
  } catch (error) {
    throw new NatsError('invalid_argument', messageOf(error));
  }
  const maxBatchEvents = checkCount(
    'maxBatchEvents',
    options.maxBatchEvents,
    DEFAULTS.maxBatchEvents,
  );
  const maxBatchBytes = checkCount('maxBatchBytes', options.maxBatchBytes, DEFAULTS.maxBatchBytes);
  const maxInFlight = checkCount('maxInFlight', options.maxInFlight, DEFAULTS.maxInFlight);
  const maxQueued = checkCount('maxQueued', options.maxQueued, DEFAULTS.maxQueued);
  const ackTimeoutMs = checkCount('ackTimeoutMs', options.ackTimeoutMs, DEFAULTS.ackTimeoutMs);
  if (typeof options.spool !== 'string' || options.spool === '') {
    throw new NatsError('invalid_argument', 'spool must name a folder');
  }
  const dir = options.spool;
  const scheduler = options.scheduler ?? asyncScheduler;
  const older: SpoolLog[] = [];
  let store: EventStore;
  let locked: (() => void) | undefined;
  try {
    mkdirSync(dir, { recursive: true });
    if (!statSync(dir).isDirectory()) throw new Error('not a folder');
    locked = lockSpool(dir);
    for (const name of readdirSync(dir).sort()) {
      const log = name.endsWith('.jsonl') ? name.slice(0, -'.jsonl'.length) : undefined;
      if (log === undefined || log === logId) continue;
      older.push(spoolLog(log, join(dir, name), false));
    }
    for (const log of older) {
      // What a crashed run wrote: its last whole line (an unfinished one is skipped).
      for (const event of readJsonl(log.path, { onProblem: () => undefined })) log.last = event.seq;
    }
    store = createJsonlStore(join(dir, `${logId}.jsonl`));
  } catch (error) {
    // A shipper that did not start holds nothing: the next one may take the folder.
    locked?.();
    if (error instanceof ToolflightError) throw error;
    throw new NatsError(
      'invalid_argument',
      `the spool ${dir} cannot be used: ${messageOf(error)}`,
      {
        cause: error,
      },
    );
  }
  const unlock = locked;
  const current = spoolLog(logId, join(dir, `${logId}.jsonl`), true);
  const logs: SpoolLog[] = [...older, current];

  let open: OpenJetStream | undefined;
  let connecting = false;
  let stopped = false;
  let messages = 0;
  let resyncs = 0;
  let repairs = 0;
  let failures = 0;
  let lastProblem = '';
  let inFlight = 0;
  let wake: (() => void) | undefined;
  const waiters = new Set<() => void>();

  const report = (error: Error): void => {
    const problem = error.message;
    if (problem === lastProblem) return;
    lastProblem = problem;
    try {
      options.onError?.(error);
    } catch {
      // An observer's failure is its own.
    }
  };
  const pendingOf = (log: SpoolLog) => log.last - log.acked;
  const settle = (): void => {
    for (const log of logs.filter((l) => !l.current && l.acked >= l.last)) {
      logs.splice(logs.indexOf(log), 1);
      if (!options.keep) rmSync(log.path, { force: true });
    }
    if (logs.every((log) => pendingOf(log) === 0)) {
      for (const resolve of waiters) resolve();
      waiters.clear();
    }
  };
  const poke = (): void => {
    const next = wake;
    wake = undefined;
    next?.();
  };

  const listeners = new StoreListeners();
  const shippedStore: EventStore = {
    append(event) {
      store.append(event);
      current.last = event.seq;
      if (!current.spilled && current.queue.length - current.head < maxQueued) {
        current.queue.push(event);
      } else current.spilled = true;
      listeners.notify(event);
      poke();
    },
    read: (fromSeq) => store.read(fromSeq),
    lastSeq: () => store.lastSeq(),
    subscribe: (listener) => listeners.subscribe(listener),
    close: () => store.close(),
  };

  /**
   * Where the stream has `log`. After a connection that broke with messages of the log
   * unacknowledged (`log.suspect`, a stream seq), read what it stored after that seq: keep the
   * messages while their seqs follow on from `acked`, and remove the ones past a gap. Otherwise
   * ask for the log's last message (`last_by_subj`) and read on from there, since a wildcard
   * `last_by_subj` on nats-server 2.9 misses a log whose last messages were removed; the stream
   * only ever moves `acked` forward.
   */
  const resync = async (js: OpenJetStream, log: SpoolLog): Promise<void> => {
    resyncs += 1;
    const subject = filterSubject(js.prefix, { host, log: log.log });
    const repairing = log.suspect !== undefined;
    let after = log.suspect ?? log.good;
    if (!repairing) {
      const last = await js.jsm.streams.getMessage(js.stream, { last_by_subj: subject });
      const stored = last ? (parseSeqHeader(last.header.get(SEQ_HEADER))?.[1] ?? 0) : 0;
      if (stored > log.last) {
        report(
          new NatsError(
            'invalid_argument',
            `the stream holds ${host} log ${log.log} up to seq ${stored}, past the spool's ${log.last}: another host ships under the same name and log`,
          ),
        );
      }
      if (last !== null && stored > log.acked) {
        log.acked = Math.min(stored, log.last);
        log.good = last.seq;
      }
      after = Math.max(after, last?.seq ?? 0);
    }
    let removed = 0;
    let lost = 0;
    for (let seq = after + 1; ;) {
      // The server's STREAM.MSG.GET takes `next_by_subj` (2.9 on); the client types it for direct gets only.
      const request: NextMsgRequest = { next_by_subj: subject, seq };
      const message = await js.jsm.streams.getMessage(js.stream, request as unknown as MsgRequest);
      if (message === null) break;
      seq = message.seq + 1;
      const range = parseSeqHeader(message.header.get(SEQ_HEADER));
      // Not a shipped message (somebody else's): readers report it; it is not the shipper's to remove.
      if (range === undefined) continue;
      if (removed === 0 && range[0] === log.acked + 1 && range[1] <= log.last) {
        log.acked = range[1];
        log.good = message.seq;
        continue;
      }
      // Past a gap. Only messages this run sent and saw fail around are removed; a gap found
      // otherwise (retention, another writer) is left for `verify` to report.
      if (!repairing) break;
      if (removed === 0) {
        lost = log.acked + 1;
        // A new token before the first removal: a resync cut short still sends under new ids.
        log.repair = randomBytes(4).toString('hex');
      }
      await js.jsm.streams.deleteMessage(js.stream, message.seq, false);
      removed += 1;
    }
    log.suspect = undefined;
    log.next = log.acked + 1;
    dropQueued(log);
    if (removed > 0) {
      repairs += 1;
      report(
        new NatsError(
          'message_refused',
          `seq ${lost} of ${host} log ${log.log} was not stored while later ones were: removed the ${removed} message(s) after it from the stream so the log has no gap; they are sent again`,
        ),
      );
    }
  };

  /** Whether the message a "duplicate" acknowledgement names is in the stream and holds `sent`. */
  const stillStored = async (js: OpenJetStream, ack: PubAck, sent: Sent): Promise<boolean> => {
    const message = await js.jsm.streams.getMessage(js.stream, { seq: ack.seq });
    const range = message ? parseSeqHeader(message.header.get(SEQ_HEADER)) : undefined;
    return range?.[0] === sent.first && range[1] === sent.last;
  };

  /** The next batch of `log`: consecutive events of one capture, from `log.next`. */
  function* fromFile(log: SpoolLog): Generator<ToolflightEvent> {
    yield* readJsonl(log.path, { fromSeq: log.next, onProblem: () => undefined });
  }
  let reader:
    { log: SpoolLog; events: Generator<ToolflightEvent>; ahead?: ToolflightEvent } | undefined;
  const nextBatch = (log: SpoolLog, maxBytes: number): Batch => {
    const batch: Batch = { events: [], lines: [], bytes: 0 };
    const take = (event: ToolflightEvent): boolean => {
      const line = encodeEvent(event);
      const first = batch.events[0];
      if (
        first !== undefined &&
        (event.capture !== first.capture ||
          batch.events.length >= maxBatchEvents ||
          batch.bytes + line.length + 1 > maxBytes)
      ) {
        return false;
      }
      batch.events.push(event);
      batch.lines.push(line);
      batch.bytes += line.length + 1;
      return true;
    };
    if (log.current && log.queue[log.head]?.seq === log.next) {
      for (let i = log.head; i < log.queue.length && take(log.queue[i]!); i++);
      return batch;
    }
    if (log.next > log.last) return batch;
    if (reader?.log !== log) reader = { log, events: fromFile(log) };
    for (;;) {
      const event: ToolflightEvent | undefined =
        reader.ahead ?? (reader.events.next().value as ToolflightEvent | undefined);
      reader.ahead = undefined;
      if (event === undefined) {
        reader = undefined;
        break;
      }
      if (event.seq < log.next + batch.events.length) continue;
      if (!take(event)) {
        reader.ahead = event;
        break;
      }
    }
    return batch;
  };

  /** Take the acknowledgements of `log` in the order its messages were sent. */
  const advance = (log: SpoolLog): void => {
    while (log.sent[0]?.state === 'stored') {
      const sent = log.sent.shift()!;
      log.acked = Math.max(log.acked, sent.last);
      log.good = sent.streamSeq;
      log.probe = false;
    }
  };

  /** The payload bytes a message of `log` may have on this connection (headers left room). */
  const batchLimit = (js: OpenJetStream, log: SpoolLog): number => {
    const room = 96 + messageId(host, log.log, Number.MAX_SAFE_INTEGER, 'ffffffff').length;
    const limits = [
      maxBatchBytes,
      js.info.config.max_msg_size ?? -1,
      js.nc.info?.max_payload ?? -1,
    ];
    return Math.max(1, Math.min(...limits.filter((limit) => limit > 0).map((l) => l - room)));
  };

  const refusal = (log: SpoolLog, batch: Batch, limit: number, error: unknown): NatsError => {
    const first = batch.events[0]!.seq;
    const range = `${first}-${first + batch.events.length - 1}`;
    const tooBig =
      batch.bytes > limit
        ? `; event seq ${first} is ${batch.bytes} bytes, more than the stream or server takes (${limit} with headers' room): raise the stream's max_msg_size or the server's max_payload, the log waits in the spool until then`
        : '';
    return new NatsError(
      'message_refused',
      `JetStream did not store seqs ${range} of ${host} log ${log.log} (${messageOf(error)})${tooBig}; they stay in the spool and are sent again`,
      { cause: error },
    );
  };

  const publishLoop = async (js: OpenJetStream): Promise<void> => {
    const startSeq = js.info.state.last_seq;
    for (const log of logs) await resync(js, log);
    reader = undefined;
    settle();
    const client: JetStreamClient = js.js;
    const broken = { error: undefined as Error | undefined };
    const outstanding = new Set<Promise<void>>();
    while (!stopped || logs.some((log) => pendingOf(log) > 0 && log.next <= log.last)) {
      if (broken.error) break;
      const log = logs.find((l) => l.next <= l.last && !(l.probe && l.sent.length > 0));
      if (log === undefined || inFlight >= maxInFlight) {
        if (stopped && log === undefined && outstanding.size === 0) break;
        await new Promise<void>((resolve) => {
          wake = resolve;
          if (outstanding.size === 0 && log !== undefined) resolve();
        });
        continue;
      }
      const limit = batchLimit(js, log);
      let batch = nextBatch(log, limit);
      if (batch.events.length === 0) {
        // The queue does not start at the next seq (spilled): read on from the file.
        log.queue.length = 0;
        log.head = 0;
        log.spilled = true;
        reader = undefined;
        batch = nextBatch(log, limit);
        if (batch.events.length === 0) {
          // Not on disk yet as far as a reader sees: wait for the next append or ack.
          await new Promise<void>((resolve) => (wake = resolve));
          continue;
        }
      }
      const firstSeq = batch.events[0]!.seq;
      const lastSeq = firstSeq + batch.events.length - 1;
      const payload = batchPayload(batch.lines);
      log.next = lastSeq + 1;
      if (log.current) {
        dropQueued(log);
        if (log.spilled && log.next > log.last) log.spilled = false;
      }
      const headers = js.modules.transport.headers();
      headers.set(SEQ_HEADER, seqHeader(firstSeq, lastSeq));
      const sent: Sent = {
        first: firstSeq,
        last: lastSeq,
        state: 'pending',
        streamSeq: 0,
        refused: false,
      };
      log.sent.push(sent);
      inFlight += 1;
      messages += 1;
      const failed = (error: unknown, refused: boolean): void => {
        sent.state = 'failed';
        sent.refused = refused;
        broken.error ??= refusal(log, batch, limit, error);
      };
      let publishing: Promise<PubAck>;
      try {
        publishing = client.publish(
          eventSubject(js.prefix, host, log.log, batch.events[0]!.capture),
          payload,
          { msgID: messageId(host, log.log, firstSeq, log.repair), headers, timeout: ackTimeoutMs },
        );
      } catch (error) {
        // Refused by the client before sending (bigger than the server's max_payload).
        publishing = Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
      const done = publishing
        .then(
          async (ack) => {
            if (ack.duplicate && !(await stillStored(js, ack, sent))) {
              // Its id names a message a repair removed: send it under a new one.
              log.repair = randomBytes(4).toString('hex');
              failed(new Error(`a duplicate of stream seq ${ack.seq}, which is gone`), false);
              return;
            }
            sent.state = 'stored';
            sent.streamSeq = ack.seq;
          },
          (error: unknown) =>
            failed(error, error instanceof js.modules.jetstream.JetStreamApiError),
        )
        .catch((error: unknown) => failed(error, false))
        .finally(() => {
          advance(log);
          inFlight -= 1;
          outstanding.delete(done);
          settle();
          poke();
        });
      outstanding.add(done);
    }
    await Promise.all(outstanding);
    if (broken.error) {
      for (const log of logs) {
        if (log.sent.length === 0) continue;
        // A stored message past the failed one, or one whose fate is not known: read back.
        if (log.sent.some((sent) => sent.state === 'stored' || !sent.refused)) {
          log.suspect = Math.min(log.suspect ?? Infinity, Math.max(log.good, startSeq));
        }
        log.probe = true;
        log.sent = [];
      }
      throw broken.error;
    }
  };

  const run = async (): Promise<void> => {
    while (!stopped || logs.some((log) => pendingOf(log) > 0)) {
      if (stopped && closing) break;
      connecting = true;
      try {
        open = await openJetStream(
          {
            servers: options.servers,
            connection: {
              ...options.connection,
              reconnect: false,
              timeout: options.connection?.timeout ?? 2000,
            },
          },
          options,
          'shipping to NATS',
          true,
        );
        connecting = false;
        failures = 0;
        lastProblem = '';
        await publishLoop(open);
        if (stopped) break;
      } catch (error) {
        report(
          error instanceof Error
            ? error
            : new NatsError(
                'nats_unreachable',
                `shipping to NATS at ${shownServers(options.servers)} failed: ${String(error)}`,
              ),
        );
      } finally {
        connecting = false;
        const was = open;
        open = undefined;
        await was?.nc.close().catch(() => undefined);
      }
      if (stopped && closing) break;
      const delay = BACKOFF_MS[Math.min(failures, BACKOFF_MS.length - 1)]!;
      failures += 1;
      await new Promise<void>((resolve) => {
        const timer = scheduler.schedule(resolve, delay);
        cancelBackoff = () => {
          timer.unsubscribe();
          resolve();
        };
      });
      cancelBackoff = undefined;
    }
  };
  const flushedNow = (): Promise<void> =>
    logs.every((log) => pendingOf(log) === 0)
      ? Promise.resolve()
      : new Promise<void>((resolve) => waiters.add(resolve));
  let closing = false;
  let cancelBackoff: (() => void) | undefined;
  const running = run();

  return {
    store: shippedStore,
    host,
    log: logId,
    stats: () => ({
      appended: current.last,
      acknowledged: current.acked,
      pending: logs.reduce((sum, log) => sum + pendingOf(log), 0),
      messages,
      resyncs,
      connected: open !== undefined && !connecting,
      repairs,
      olderLogs: logs.filter((log) => !log.current).length,
    }),
    flushed: flushedNow,
    async close(deadlineMs = 10_000) {
      if (current.closed) return;
      current.closed = true;
      stopped = true;
      poke();
      let timer: Subscription | undefined;
      await Promise.race([
        flushedNow(),
        new Promise<void>((resolve) => (timer = scheduler.schedule(resolve, deadlineMs))),
      ]);
      timer?.unsubscribe();
      closing = true;
      cancelBackoff?.();
      poke();
      await open?.nc.close().catch(() => undefined);
      await running;
      store.close();
      if (!options.keep && pendingOf(current) === 0) rmSync(current.path, { force: true });
      unlock();
    },
  };
}

/** Forget the queued events before `log.next`; compact the array now and then. */
function dropQueued(log: SpoolLog): void {
  while (log.head < log.queue.length && log.queue[log.head]!.seq < log.next) log.head += 1;
  if (log.head === log.queue.length) {
    log.queue.length = 0;
    log.head = 0;
  } else if (log.head > 4096 && log.head * 2 > log.queue.length) {
    log.queue = log.queue.slice(log.head);
    log.head = 0;
  }
}

function spoolLog(log: string, path: string, current: boolean): SpoolLog {
  return {
    log,
    path,
    current,
    last: 0,
    acked: 0,
    good: 0,
    sent: [],
    suspect: undefined,
    probe: false,
    repair: '',
    next: 1,
    queue: [],
    head: 0,
    spilled: false,
    closed: false,
  };
}
