import type { ReadResourceResult, Resource } from '@modelcontextprotocol/sdk/types.js';

import type { Completer } from './LoopbackPrompt.js';
import type { LoopbackRequestContext } from './LoopbackRequestContext.js';

/** A resource at one fixed URI (`resources/list`, `resources/read`). */
export interface LoopbackResource {
  /** Unique among the server's resources; any absolute URI. */
  readonly uri: string;
  readonly name: string;
  readonly title?: string;
  readonly description?: string;
  readonly mimeType?: string;
  /** Size in bytes, when known. */
  readonly size?: number;
  readonly annotations?: Resource['annotations'];
  /** Only callers holding an owner credential see and may read it. Default false. */
  readonly ownerOnly?: boolean;
  /** The resource's contents now. */
  readonly read: (
    context: LoopbackRequestContext,
  ) => ReadResourceResult | Promise<ReadResourceResult>;
}

/**
 * A family of resources named by a URI template (RFC 6570, as the MCP SDK's `UriTemplate` reads
 * it: `file:///logs/{day}`), listed by `resources/templates/list` and read by any URI it matches.
 */
export interface LoopbackResourceTemplate {
  readonly uriTemplate: string;
  readonly name: string;
  readonly title?: string;
  readonly description?: string;
  readonly mimeType?: string;
  readonly annotations?: Resource['annotations'];
  /** Only callers holding an owner credential see and may read through it. Default false. */
  readonly ownerOnly?: boolean;
  /** Suggestions for a variable's value, by variable name. */
  readonly complete?: Readonly<Record<string, Completer>>;
  /** The contents of `uri`, which matched the template with these variables. */
  readonly read: (
    uri: string,
    variables: Readonly<Record<string, string | readonly string[]>>,
    context: LoopbackRequestContext,
  ) => ReadResourceResult | Promise<ReadResourceResult>;
}
