// @internal The kept catalog inside a running proxy: read and checked once at start, replaced
// whenever the upstream gives a newer list or handshake. Never throws: a catalog that cannot be
// kept costs a later cold start its catalog, never a call of this process.
import type { InitializeResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import type { SchedulerLike } from 'rxjs';

import { messageOf } from '../../../errors.js';
import type { Logger } from '../../../logger.js';
import {
  keptInitializeOf,
  keptRowOf,
  readKeptCatalog,
  type KeptCatalog,
  type KeptPart,
} from './keptCatalog.js';
import type { KeptCatalogRow, Outbox } from './Outbox.js';

/** What is newer than the kept catalog; either part may come alone. */
export interface CatalogUpdate {
  readonly tools?: readonly Tool[];
  readonly initialize?: InitializeResult;
}

/** The kept catalog of one running proxy. */
export interface CatalogKeeper {
  /** What the outbox held at start, checked. */
  readonly kept: KeptCatalog;
  /** Keep what is newer, durably; a failure is logged, never thrown. */
  readonly keep: (update: CatalogUpdate) => void;
}

/** What the keeper needs from the proxy around it. */
export interface KeeperHost {
  /** The upstream's name, as `catalog.listed` names it. */
  readonly server: string;
  readonly scheduler: SchedulerLike;
  readonly logger: Logger | undefined;
}

/** Read the kept catalog of `outbox` for `host.server` (logging what was ignored) and keep it up. */
export function catalogKeeper(outbox: Outbox, host: KeeperHost): CatalogKeeper {
  const { server, scheduler, logger } = host;
  // The last warning: an outbox that cannot take the catalog would say so at every reconnection.
  let warned: string | undefined;
  const warn = (message: string): void => {
    if (message !== warned) logger?.warn(`outbox ${outbox.path}: ${message}`);
    warned = message;
  };
  let rows: readonly KeptCatalogRow[] = [];
  try {
    rows = outbox.keptCatalog();
  } catch (error) {
    warn(`cannot read the kept catalog (${messageOf(error)}): starting without it`);
  }
  const { catalog, problems } = readKeptCatalog(rows, server);
  for (const problem of problems) {
    warn(`${problem}; the proxy serves the upstream's own once it answers`);
  }
  // The text each part's row holds: the same text is not written again (each write is a sync).
  const written = new Map<string, string>();
  for (const row of rows) {
    if (catalog[row.part as KeptPart] !== undefined) written.set(row.part, row.json);
  }

  const keepPart = (part: KeptPart, json: string): void => {
    if (written.get(part) === json) return;
    const made = keptRowOf(part, json, server, scheduler.now());
    try {
      if ('row' in made) {
        outbox.keepCatalog(made.row);
        written.set(part, json);
        return;
      }
      warn(
        `the upstream's ${part} part was not kept for a cold start: ${made.problem}; the copy kept before is forgotten`,
      );
    } catch (error) {
      warn(`cannot keep the upstream's ${part} part for a cold start: ${messageOf(error)}`);
    }
    // Never an older copy than this process saw: a cold start then goes without rather than
    // serving tools the upstream may have dropped since.
    written.delete(part);
    try {
      outbox.forgetCatalog(part);
    } catch {
      // The file cannot be written at all: the warning above said why.
    }
  };

  return {
    kept: catalog,
    keep({ tools, initialize }) {
      if (tools !== undefined) keepPart('tools', JSON.stringify(tools));
      if (initialize !== undefined) {
        keepPart('initialize', JSON.stringify(keptInitializeOf(initialize)));
      }
    },
  };
}
