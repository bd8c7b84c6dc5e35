// @internal The upstream's last good catalog as the outbox keeps it: the rows written, and the
// checks a kept row passes before a proxy serves it. The text came from another party and the
// file may have been edited or damaged since, so a row that fails any check is ignored, never
// trusted in part. Pure, apart from hashing.
import { createHash } from 'node:crypto';

import {
  InitializeResultSchema,
  ListToolsResultSchema,
  type InitializeResult,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';

import type { KeptCatalogRow } from './Outbox.js';

/** What of the upstream's `initialize` result is kept: what an agent's `initialize` needs. */
export type KeptInitialize = Pick<
  InitializeResult,
  'protocolVersion' | 'capabilities' | 'serverInfo' | 'instructions'
>;

/** The kept catalog, checked; either part may be missing. */
export interface KeptCatalog {
  readonly tools?: readonly Tool[];
  readonly initialize?: KeptInitialize;
}

/**
 * The most JSON text kept per part. A big catalog (a hundred tools with rich schemas) is a few
 * hundred KiB; past this an upstream is more likely misbehaving than describing itself, and the
 * row shares the file (and `maxBytes`) with the writes it exists for.
 */
export const KEPT_LIMITS = { tools: 2 * 1024 * 1024, initialize: 256 * 1024 } as const;

/** A part of the kept catalog. */
export type KeptPart = keyof typeof KEPT_LIMITS;

const isPart = (part: string): part is KeptPart => Object.hasOwn(KEPT_LIMITS, part);

const digestOf = (json: string): string => createHash('sha256').update(json).digest('hex');

const overLimit = (part: KeptPart, bytes: number): string =>
  `it is ${bytes} bytes of JSON, over the ${KEPT_LIMITS[part]} an outbox keeps`;

/** Only the fields an agent's `initialize` answer is built from (no `_meta`). */
export const keptInitializeOf = (result: InitializeResult): KeptInitialize => ({
  protocolVersion: result.protocolVersion,
  capabilities: result.capabilities,
  serverInfo: result.serverInfo,
  ...(result.instructions === undefined ? {} : { instructions: result.instructions }),
});

/** The row that keeps `json` as `part`, or why it is not kept (too large). */
export function keptRowOf(
  part: KeptPart,
  json: string,
  server: string,
  keptAt: number,
): { readonly row: KeptCatalogRow } | { readonly problem: string } {
  const bytes = Buffer.byteLength(json);
  if (bytes > KEPT_LIMITS[part]) {
    return { problem: overLimit(part, bytes) };
  }
  return { row: { part, server, json, digest: digestOf(json), keptAt } };
}

/** The first schema issue, as `path: message`. */
const issueOf = (error: { issues: readonly { path: PropertyKey[]; message: string }[] }) => {
  const issue = error.issues[0];
  return issue === undefined ? '' : ` (${issue.path.map(String).join('.')}: ${issue.message})`;
};

/** Check one row and parse it, or say why it is ignored. */
function checkRow(
  row: KeptCatalogRow,
  server: string,
): { readonly tools: readonly Tool[] } | { readonly initialize: KeptInitialize } | string {
  if (!isPart(row.part)) return `it is not a part this toolflight keeps`;
  if (row.server !== server) {
    return `it was kept for the upstream ${row.server}, and this proxy's upstream is ${server}`;
  }
  const bytes = Buffer.byteLength(row.json);
  if (bytes > KEPT_LIMITS[row.part]) return overLimit(row.part, bytes);
  if (row.digest !== digestOf(row.json)) return 'it is damaged: its text does not match its digest';
  let value: unknown;
  try {
    value = JSON.parse(row.json);
  } catch {
    return 'it is damaged: not JSON';
  }
  if (row.part === 'tools') {
    const parsed = ListToolsResultSchema.safeParse({ tools: value });
    if (!parsed.success) return `it is not a valid tool list${issueOf(parsed.error)}`;
    return { tools: parsed.data.tools };
  }
  const parsed = InitializeResultSchema.safeParse(value);
  if (!parsed.success) return `it is not a valid initialize result${issueOf(parsed.error)}`;
  return { initialize: keptInitializeOf(parsed.data) };
}

/**
 * The kept catalog of `server` from an outbox's rows, each checked; `problems` say which part
 * was ignored and why.
 */
export function readKeptCatalog(
  rows: readonly KeptCatalogRow[],
  server: string,
): { readonly catalog: KeptCatalog; readonly problems: readonly string[] } {
  const catalog: { tools?: readonly Tool[]; initialize?: KeptInitialize } = {};
  const problems: string[] = [];
  for (const row of rows) {
    const checked = checkRow(row, server);
    if (typeof checked === 'string')
      problems.push(`the kept ${row.part} part was ignored: ${checked}`);
    else Object.assign(catalog, checked);
  }
  return { catalog, problems };
}
