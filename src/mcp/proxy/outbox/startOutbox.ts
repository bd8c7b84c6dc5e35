// @internal The outbox inside a proxy: open it, queue unreachable bufferable calls, run the
// delivery worker, expose the operator's view, and stop in order on close.
import { McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { nanoid } from 'nanoid';

import type { Tracker } from '../../../tracker/Tracker.js';
import { argumentsCheck } from './argumentsCheck.js';
import { bufferableRule } from './bufferable.js';
import { catalogKeeper, type CatalogKeeper } from './catalogKeeper.js';
import type { KeptCatalog } from './keptCatalog.js';
import { DeliveryWorker, type WorkerDeps } from './deliveryWorker.js';
import { openOutbox } from './openOutbox.js';
import type { ProxyOutbox, ProxyOutboxOptions } from './Outbox.js';
import { queueCall } from './queueCall.js';
import { messageOf } from '../../../errors.js';
import type { Logger } from '../../../logger.js';
import { recordSafely } from '../../endpoint/recordSafely.js';
import type { UnreachableCall } from './Outbox.js';

/** Default time to live of an entry: a day. */
export const DEFAULT_TTL_MS = 24 * 60 * 60 * 1000;

/** A running outbox, as `createProxy` uses it. */
export interface OutboxRuntime {
  readonly onUnreachable: (call: UnreachableCall) => CallToolResult | undefined;
  readonly view: ProxyOutbox;
  /** The upstream's last good catalog as this outbox kept it (checked), for a cold start. */
  readonly kept: KeptCatalog;
  /** Keep a newer part of the catalog (never throws: a failure is logged). */
  readonly keep: CatalogKeeper['keep'];
  /** The upstream came up: deliver now. */
  readonly upstreamUp: () => void;
  /** Stop the worker (call before the link closes); resolves once it wrote its last row. */
  readonly stop: () => Promise<void>;
}

/** What the proxy lends the outbox. */
export type OutboxHost = Omit<WorkerDeps, 'outbox' | 'note' | 'ttlMs' | 'backoff'> & {
  readonly tracker: Tracker;
  readonly logger: Logger | undefined;
  /** The upstream's name: a catalog kept for another upstream is not served. */
  readonly server: string;
};

/** Open the outbox (throws `OutboxError`) and start its worker; pending entries go first. */
export function startOutbox(options: ProxyOutboxOptions, host: OutboxHost): OutboxRuntime {
  const owned = options.store === undefined;
  const outbox = options.store ?? openOutbox(options.path, { maxBytes: options.maxBytes });
  const { tracker, scheduler, logger } = host;
  const worker = new DeliveryWorker({
    ...host,
    outbox,
    ttlMs: options.ttlMs ?? DEFAULT_TTL_MS,
    backoff: options.backoff,
    note: (type, data) => void tracker.note(type, data),
  });
  const isBufferable = bufferableRule(options.bufferable);
  const ids = options.ids ?? (() => nanoid());
  let stopping: Promise<void> | undefined;
  // The last refusal logged: an outage refuses calls by the hundred, for one reason.
  let refusing: string | undefined;
  const queue = {
    outbox,
    isBufferable,
    checkArguments: argumentsCheck((tool, reason) =>
      logger?.warn(
        `the inputSchema of ${tool.name} does not compile (${reason}): its calls are queued unchecked`,
      ),
    ),
    ids,
    now: () => scheduler.now(),
    enqueued: (key: string, tool: string, call: UnreachableCall['toolCall']) =>
      recordSafely(logger, 'outbox.enqueued', () =>
        call === undefined
          ? tracker.note('outbox.enqueued', { key, tool })
          : tracker.note(
              'outbox.enqueued',
              { key, tool, toolCall: call.id },
              { capture: call.capture },
            ),
      ),
  };
  const catalog = catalogKeeper(outbox, host);
  // Entries a previous process left: deliver them once the upstream takes them.
  worker.wake();
  return {
    onUnreachable(call) {
      let answer: CallToolResult | undefined;
      try {
        answer = queueCall(queue, call);
      } catch (error) {
        // Arguments the agent must fix: its answer says so, and the outbox is not at fault.
        if (error instanceof McpError) throw error;
        // The agent hears why in its -32002; the operator hears it here, once per reason.
        const reason = messageOf(error);
        if (reason !== refusing)
          logger?.warn(`outbox refused a call to ${call.toolName}: ${reason}`);
        refusing = reason;
        throw error;
      }
      refusing = undefined;
      if (answer !== undefined) worker.wake();
      return answer;
    },
    view: {
      path: outbox.path,
      pending: () => outbox.pending(),
      dead: () => outbox.dead(),
      counts: () => outbox.counts(),
      retry(key) {
        const retried = outbox.retry(key, scheduler.now());
        if (retried !== undefined) worker.wake();
        return retried;
      },
      drop: (key) => outbox.drop(key),
      settled: () => worker.settled(),
    },
    kept: catalog.kept,
    keep: catalog.keep,
    upstreamUp: () => worker.kick(),
    stop() {
      stopping ??= worker.stop().then(() => {
        if (owned) outbox.close();
      });
      return stopping;
    },
  };
}
