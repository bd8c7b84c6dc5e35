import type { Tool } from '@modelcontextprotocol/sdk/types.js';

import type { ProxyBackoff } from '../upstream/Upstream.js';

/** One write kept for later delivery, in delivery order (`seq`). */
export interface PendingEntry {
  readonly seq: number;
  /** The idempotency key the upstream dedupes by; also in `args.idempotencyKey`. */
  readonly key: string;
  readonly tool: string;
  readonly args: Readonly<Record<string, unknown>>;
  /** Epoch ms (the proxy scheduler's clock) when it was queued. */
  readonly enqueuedAt: number;
  readonly attempts: number;
  readonly lastError: string | undefined;
  /** Not delivered before this time (epoch ms). */
  readonly nextAttemptAt: number;
}

/** A write the upstream refused for good, or that expired: kept until an operator acts. */
export interface DeadEntry {
  readonly key: string;
  readonly tool: string;
  readonly args: Readonly<Record<string, unknown>>;
  /** `HTTP 422 …`, the JSON-RPC error or tool error message, or `expired`. */
  readonly reason: string;
  readonly enqueuedAt: number;
  readonly diedAt: number;
  readonly attempts: number;
}

/** How many entries wait, and how many are dead. */
export interface OutboxCounts {
  readonly pending: number;
  readonly dead: number;
}

/** What `enqueue` did: a new row, or the key was already pending (no second row). */
export type Enqueued = { readonly kind: 'queued' | 'duplicate'; readonly entry: PendingEntry };

/**
 * What `retry` did: `requeued`, a dead letter back in the queue (fresh attempts and time to live,
 * same key); `due`, the key was pending already and is now due at once.
 */
export type Retried = { readonly kind: 'requeued' | 'due'; readonly entry: PendingEntry };

/**
 * One part of the upstream's last good catalog as an outbox file keeps it, for a proxy that
 * starts while the upstream is down: `tools` (every page of its list) or `initialize` (its
 * `serverInfo`, `capabilities`, `protocolVersion`, `instructions`). The text came from another
 * party: whoever reads it checks it (`digest`, the upstream's name, the MCP schemas) first.
 */
export interface KeptCatalogRow {
  readonly part: string;
  /** The upstream it came from, as `catalog.listed` names it. */
  readonly server: string;
  readonly json: string;
  /** sha256 of `json`, hex. */
  readonly digest: string;
  /** Epoch ms (the proxy scheduler's clock) when it was kept. */
  readonly keptAt: number;
}

/**
 * A durable outbox file (SQLite, WAL, `synchronous=FULL`, held by one process at a time): the
 * writes waiting for an upstream, and the dead letters. Every method is synchronous and durable
 * when it returns. A key that is not there is answered with `undefined`, like a refused tracker
 * command; a closed outbox (`outbox_closed`) or a file that cannot be written throws
 * `OutboxError`.
 */
export interface Outbox {
  readonly path: string;
  /**
   * Queue a write; committed to disk, in the file at `path`, before it returns. Throws
   * `OutboxError` `write_failed` (disk full, read-only, `maxBytes`) or `file_replaced` (the file
   * at `path` was removed, replaced or overwritten since it was opened).
   */
  readonly enqueue: (entry: {
    readonly key: string;
    readonly tool: string;
    readonly args: Readonly<Record<string, unknown>>;
    readonly now: number;
  }) => Enqueued;
  /** Pending entries in delivery order. */
  readonly pending: () => readonly PendingEntry[];
  /** Dead letters, oldest death first. */
  readonly dead: () => readonly DeadEntry[];
  readonly counts: () => OutboxCounts;
  /** Delivered: remove the pending entry. False if it was not pending (dropped meanwhile). */
  readonly delivered: (key: string) => boolean;
  /** A failed attempt to retry later. */
  readonly failed: (key: string, error: string, nextAttemptAt: number) => void;
  /** Move a pending entry to the dead letters with `reason`; `attempted`: counts as an attempt. */
  readonly reject: (
    key: string,
    reason: string,
    now: number,
    attempted?: boolean,
  ) => DeadEntry | undefined;
  /**
   * Move a dead letter back to pending (fresh attempts, same key, due at `now`), or make a
   * pending entry due at `now`. Undefined when the key is neither (delivered, dropped or never
   * queued: the file keeps no trace of which).
   */
  readonly retry: (key: string, now: number) => Retried | undefined;
  /** Remove an entry, pending or dead; says which it was, or undefined when it was neither. */
  readonly drop: (key: string) => 'pending' | 'dead' | undefined;
  /**
   * The kept catalog's rows, at most one per part, unchecked (see `KeptCatalogRow`); none in a
   * file opened read-only before it had the table (version 1).
   */
  readonly keptCatalog: () => readonly KeptCatalogRow[];
  /**
   * Keep `row` in place of its part's row before; durable when it returns. Throws like
   * `enqueue` (`write_failed`, `file_replaced`).
   */
  readonly keepCatalog: (row: KeptCatalogRow) => void;
  /** Forget a part of the kept catalog (a newer one could not be kept). */
  readonly forgetCatalog: (part: string) => void;
  /** Close the file; later calls throw `outbox_closed`. Idempotent. */
  readonly close: () => void;
}

/** Options of `openOutbox`. */
export interface OutboxOpenOptions {
  /** How long to wait for another process's lock. Default 5000 ms. */
  readonly busyTimeoutMs?: number;
  /** Refuse new entries (`write_failed`, "the outbox is full") past this file size. */
  readonly maxBytes?: number;
  /** False: only open an existing outbox (`open_failed` for a missing file). Default true. */
  readonly create?: boolean;
  /** Open read-only (implies `create: false`): every write throws `write_failed`. */
  readonly readonly?: boolean;
}

/**
 * The proxy's outbox: `path` (opened and closed by the proxy) or `store` (an `Outbox` you
 * opened with `openOutbox`; it stays open when the proxy closes).
 */
export type ProxyOutboxOptions = (
  | { readonly path: string; readonly store?: undefined }
  | { readonly store: Outbox; readonly path?: undefined }
) & {
  /** Tool names or `*`/`?` patterns to buffer beyond the default rule (see `isBufferable`). */
  readonly bufferable?: readonly string[];
  /** Entries older than this when they come up for delivery become dead (`expired`). Default 24 h. */
  readonly ttlMs?: number;
  /** Backoff of delivery retries. Default 250 ms doubling to 30 s, with jitter. */
  readonly backoff?: ProxyBackoff;
  /** Idempotency keys for calls without one. Default: random (nanoid). */
  readonly ids?: () => string;
  /** Passed to `openOutbox` with `path`. */
  readonly maxBytes?: number;
};

/** The outbox as a running proxy exposes it to its host. */
export interface ProxyOutbox {
  readonly path: string;
  readonly pending: () => readonly PendingEntry[];
  readonly dead: () => readonly DeadEntry[];
  readonly counts: () => OutboxCounts;
  /**
   * Re-queue a dead letter (same key), or make a pending entry due, and deliver it as soon as the
   * upstream takes it. Undefined when the key is neither pending nor dead (see `Outbox.retry`).
   */
  readonly retry: (key: string) => Retried | undefined;
  /** Remove an entry, pending or dead, without delivering it; undefined when it was neither. */
  readonly drop: (key: string) => 'pending' | 'dead' | undefined;
  /** Resolves once no delivery pass is running (entries may still wait for a timer). */
  readonly settled: () => Promise<void>;
}

/** A tool call the upstream could not take (unreachable, child gone): the outbox seam. */
export interface UnreachableCall {
  readonly toolName: string;
  readonly args: Readonly<Record<string, unknown>>;
  /** The tool's definition from the last upstream list, if it was listed. */
  readonly tool: Tool | undefined;
  readonly reason: string;
  /** True when the call may have reached the upstream (it went away while the call was out). */
  readonly unknown?: boolean;
  /** The tracked tool call (`tc_…`) and its capture, when it was tracked. */
  readonly toolCall?: { readonly id: string; readonly capture: string };
}
