// @internal A connection to NATS with the fleet's stream checked (and created when allowed).
import type { NatsConnection, NodeConnectionOptions } from '@nats-io/transport-node';
import type { JetStreamClient, JetStreamManager, StreamInfo } from '@nats-io/jetstream';

import { messageOf } from '../errors.js';
import { loadNats, type NatsModules } from './loadNats.js';
import { NatsError } from './NatsError.js';
import { checkPrefix } from './subjects.js';

/** Where the NATS servers are, and how to reach them. */
export interface NatsServerOptions {
  /** `nats://host:port`, `host:port`, or several. */
  readonly servers: string | readonly string[];
  /**
   * Passed on to the NATS client's `connect` as they are: `user`/`pass`, `token`,
   * `authenticator` (nkeys, creds), `tls`, `name`, timeouts. `servers` here is ignored.
   */
  readonly connection?: Omit<NodeConnectionOptions, 'servers'>;
}

/** The stream a fleet ships to, and its limits when toolflight creates it. */
export interface FleetStreamOptions {
  /** The stream's name. Default `TOOLFLIGHT`. */
  readonly stream?: string;
  /** The subject prefix: events go to `<prefix>.<host>.<log>.<capture>`. Default `toolflight`. */
  readonly prefix?: string;
  /** Create the stream when it is missing. Default true for a shipper, false for a reader. */
  readonly create?: boolean;
  /** Limits of a stream toolflight creates (an existing stream keeps its own). */
  readonly limits?: FleetStreamLimits;
}

/** The limits of a stream toolflight creates. */
export interface FleetStreamLimits {
  /** Messages older than this are removed. Default 7 days. */
  readonly maxAgeMs?: number;
  /** The oldest messages are removed past this many bytes. Default 1 GiB. */
  readonly maxBytes?: number;
  /** How long a `Nats-Msg-Id` is remembered for dedupe. Default 2 minutes. */
  readonly duplicateWindowMs?: number;
  /** Copies kept in a cluster. Default 1. */
  readonly replicas?: number;
}

export const DEFAULT_STREAM = 'TOOLFLIGHT';
export const DEFAULT_PREFIX = 'toolflight';
export const STREAM_DEFAULTS = {
  maxAgeMs: 7 * 24 * 3600 * 1000,
  maxBytes: 1024 ** 3,
  duplicateWindowMs: 2 * 60 * 1000,
  replicas: 1,
} as const;

/** @internal An open connection, its JetStream handles and the checked stream. */
export interface OpenJetStream {
  readonly modules: NatsModules;
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly stream: string;
  readonly prefix: string;
  readonly info: StreamInfo;
}

const STREAM_NAME = /^[A-Za-z0-9_-]{1,255}$/;

/** A server list as a person may read it: credentials in a URL are masked. */
export function shownServers(servers: string | readonly string[]): string {
  const list = typeof servers === 'string' ? [servers] : [...servers];
  return list.map((server) => server.replace(/\/\/[^@/]*@/, '//***@')).join(', ');
}

type Credentials = Pick<NodeConnectionOptions, 'user' | 'pass' | 'token'>;

const hasCredentials = (connection: NatsServerOptions['connection']): boolean =>
  connection !== undefined &&
  (connection.user !== undefined ||
    connection.pass !== undefined ||
    connection.token !== undefined ||
    connection.authenticator !== undefined);

/**
 * The servers without the credentials a URL may hold (`nats://USER:PASS@…`, or `nats://TOKEN@…`
 * as other NATS clients read it): the client ignores them there, and the server would refuse it.
 */
function liftCredentials(servers: string | readonly string[]): {
  list: string[];
  credentials: Credentials;
} {
  const found = new Set<string>();
  let credentials: Credentials = {};
  const list = (typeof servers === 'string' ? [servers] : [...servers]).map((server) => {
    const match = /^([a-z]+:\/\/)([^@/]*)@(.*)$/i.exec(server);
    if (!match) return server;
    const [, scheme, userinfo, rest] = match as unknown as [string, string, string, string];
    found.add(userinfo);
    const colon = userinfo.indexOf(':');
    try {
      credentials =
        colon === -1
          ? { token: decodeURIComponent(userinfo) }
          : {
              user: decodeURIComponent(userinfo.slice(0, colon)),
              pass: decodeURIComponent(userinfo.slice(colon + 1)),
            };
    } catch {
      throw new NatsError(
        'invalid_argument',
        `the credentials in ${shownServers(server)} are not valid URL encoding: percent-encode them, or pass connection: { user, pass }`,
      );
    }
    return `${scheme}${rest}`;
  });
  if (found.size > 1) {
    throw new NatsError(
      'invalid_argument',
      `the servers ${shownServers(servers)} carry different credentials: one connection has one set, pass it as connection: { user, pass } or { token }`,
    );
  }
  return { list, credentials };
}

/** What to do about a refusal the client's own message does not explain. */
function hintFor(modules: NatsModules, error: unknown): string {
  if (error instanceof modules.transport.AuthorizationError) {
    return '. The server refused the credentials: pass the right ones as connection: { user, pass }, { token } or { authenticator }, or USER:PASS@ in the URL';
  }
  const text = messageOf(error);
  if (/certificate|self[- ]signed|altnames/i.test(text)) {
    return '. The TLS certificate of the server is not trusted for this address: pass its CA as connection: { tls: { ca } } or { tls: { caFile } }';
  }
  return '';
}

const NANOS_PER_MS = 1_000_000;

function checkedLimits(limits: FleetStreamLimits = {}): Required<FleetStreamLimits> {
  const out = { ...STREAM_DEFAULTS, ...limits };
  for (const [name, value] of Object.entries(out)) {
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new NatsError(
        'invalid_argument',
        `limits.${name} must be a positive integer, got ${String(value)}`,
      );
    }
  }
  return out;
}

/** Whether the stream subject `pattern` takes every subject of `target` (tokens, `*` and `>`). */
export function subjectCovers(pattern: string, target: string): boolean {
  const have = pattern.split('.');
  const want = target.split('.');
  for (let i = 0; i < want.length; i++) {
    const token = have[i];
    if (token === undefined) return false;
    if (token === '>') return true;
    if (token === '*' ? want[i] === '>' : token !== want[i]) return false;
  }
  return have.length === want.length;
}

/**
 * @internal Connect, make sure the server has JetStream, and find the stream (creating it when
 * `create` allows). Rejects with a `NatsError` that says what to do; the connection is closed
 * when anything after connecting fails.
 */
export async function openJetStream(
  server: NatsServerOptions,
  options: FleetStreamOptions,
  feature: string,
  defaultCreate: boolean,
): Promise<OpenJetStream> {
  const stream = options.stream ?? DEFAULT_STREAM;
  if (typeof stream !== 'string' || !STREAM_NAME.test(stream)) {
    throw new NatsError(
      'invalid_argument',
      `the stream name must be 1 to 255 letters, digits, _ or -, got ${JSON.stringify(String(stream).slice(0, 60))}`,
    );
  }
  let prefix: string;
  try {
    prefix = checkPrefix(options.prefix ?? DEFAULT_PREFIX);
  } catch (error) {
    throw new NatsError('invalid_argument', messageOf(error));
  }
  const limits = checkedLimits(options.limits);
  const servers = server.servers;
  if (
    !(typeof servers === 'string' ? servers !== '' : Array.isArray(servers) && servers.length > 0)
  ) {
    throw new NatsError('invalid_argument', 'servers must name at least one NATS server');
  }
  const { list, credentials } = liftCredentials(servers);
  const modules = await loadNats(feature);
  let nc: NatsConnection;
  try {
    nc = await modules.transport.connect({
      ...(hasCredentials(server.connection) ? {} : credentials),
      ...server.connection,
      servers: list,
    });
  } catch (error) {
    throw new NatsError(
      'nats_unreachable',
      `${feature} could not connect to NATS at ${shownServers(servers)}: ${messageOf(error)}${hintFor(modules, error)}`,
      { cause: error },
    );
  }
  try {
    let jsm: JetStreamManager;
    try {
      jsm = await modules.jetstream.jetstreamManager(nc);
    } catch (error) {
      throw new NatsError(
        'jetstream_unavailable',
        `the NATS server at ${shownServers(servers)} has no JetStream (${messageOf(error)}): start it with \`nats-server -js\`, or enable JetStream for this account`,
        { cause: error },
      );
    }
    const info = await findStream(
      modules,
      jsm,
      stream,
      prefix,
      options.create ?? defaultCreate,
      limits,
    );
    const wanted = `${prefix}.>`;
    if (!(info.config.subjects ?? []).some((pattern) => subjectCovers(pattern, wanted))) {
      throw new NatsError(
        'subject_outside_stream',
        `the stream ${stream} takes ${JSON.stringify(info.config.subjects ?? [])}, not ${wanted}: add ${wanted} to its subjects, or pass the prefix it takes`,
      );
    }
    return { modules, nc, js: modules.jetstream.jetstream(nc), jsm, stream, prefix, info };
  } catch (error) {
    await nc.close().catch(() => undefined);
    throw error;
  }
}

async function findStream(
  modules: NatsModules,
  jsm: JetStreamManager,
  stream: string,
  prefix: string,
  create: boolean,
  limits: Required<FleetStreamLimits>,
): Promise<StreamInfo> {
  try {
    return await jsm.streams.info(stream);
  } catch (error) {
    const { JetStreamApiError, JetStreamApiCodes } = modules.jetstream;
    if (!(error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound)) {
      throw error;
    }
  }
  if (!create) {
    throw new NatsError(
      'stream_missing',
      `the stream ${stream} does not exist: ship to it first (a shipper creates it), or create it with subjects ${prefix}.>`,
    );
  }
  const { RetentionPolicy, StorageType, DiscardPolicy } = modules.jetstream;
  try {
    return await jsm.streams.add({
      name: stream,
      subjects: [`${prefix}.>`],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      discard: DiscardPolicy.Old,
      max_age: limits.maxAgeMs * NANOS_PER_MS,
      max_bytes: limits.maxBytes,
      duplicate_window: limits.duplicateWindowMs * NANOS_PER_MS,
      num_replicas: limits.replicas,
      allow_direct: true,
    });
  } catch (error) {
    // Another host created it meanwhile.
    try {
      return await jsm.streams.info(stream);
    } catch {
      throw new NatsError(
        'stream_missing',
        `could not create the stream ${stream} with subjects ${prefix}.> (${messageOf(error)}): when another stream takes those subjects, ship to that stream or pass another prefix`,
        { cause: error },
      );
    }
  }
}
