import type {
  CallToolResult,
  CreateMessageRequestParams,
  CreateMessageResult,
  ElicitRequestParams,
  ElicitResult,
  ListRootsResult,
  LoggingLevel,
  Tool,
} from '@modelcontextprotocol/sdk/types.js';
import type { SchedulerLike } from 'rxjs';

import type { Logger } from '../../logger.js';
import type { ToolArgs } from '../../events/types.js';
import type { Tracker } from '../../tracker/Tracker.js';
import type { Limits } from '../endpoint/Endpoint.js';
import type { SessionLimits } from '../endpoint/sessionLimits.js';
import type { LoopbackPrompt } from './LoopbackPrompt.js';
import type { LoopbackRequestContext } from './LoopbackRequestContext.js';
import type { LoopbackResource, LoopbackResourceTemplate } from './LoopbackResource.js';
import type { ToolCallHandle } from '../../tracker/handles.js';

/** What a tool (and a `beforeToolCall` hook) knows about the call it serves. */
export interface ToolCallContext extends LoopbackRequestContext {
  /** The tracker's handle of this call; undefined when the request is not captured. */
  readonly call: ToolCallHandle | undefined;
  /**
   * Deliver a message to the capture generation the request was admitted under (its
   * `onYield` observer). Resolves false when the request is not captured or the generation ended.
   */
  readonly yieldMessage: (message: string) => Promise<boolean>;
  /**
   * Report progress on the call's stream, when the agent asked for it (a `progressToken`);
   * resolves false when it did not, or the call is over. `progress` must grow from call to call.
   */
  readonly progress: (progress: number, total?: number, message?: string) => Promise<boolean>;
  /**
   * Send the agent a log message (`notifications/message`) on the call's stream; resolves false
   * when it is below the level the session asked for (`logging/setLevel`), or the call is over.
   */
  readonly log: (level: LoggingLevel, data: unknown, logger?: string) => Promise<boolean>;
  /**
   * Ask the agent's user for input and wait (`elicitation/create`; the answer is checked
   * against `requestedSchema`). Needs a session whose agent declared `elicitation`, else it
   * throws a `LoopbackError` (`no_session`, `capability_missing`). Rejects with the SDK's
   * -32001 timeout error past `timeoutMs`, and when the call ends first.
   */
  readonly elicit: (params: ElicitRequestParams, options?: AskOptions) => Promise<ElicitResult>;
  /** Ask the agent's model for a completion and wait (`sampling/createMessage`), as `elicit`. */
  readonly sample: (
    params: CreateMessageRequestParams,
    options?: AskOptions,
  ) => Promise<CreateMessageResult>;
  /** Ask the agent for its roots and wait (`roots/list`), as `elicit`. */
  readonly listRoots: (options?: AskOptions) => Promise<ListRootsResult>;
}

/** How long a tool waits for its agent's answer. */
export interface AskOptions {
  /** Default: the server's `askTimeoutMs` (60,000), on its scheduler. */
  readonly timeoutMs?: number;
}

/** A tool the loopback server offers, registered with its JSON Schema. */
export interface LoopbackTool {
  /** The MCP tool name (letters, digits, `_`, `-`, `.`; at most 128 characters). */
  readonly name: string;
  readonly title?: string;
  readonly description?: string;
  /** JSON Schema of the arguments; `type` must be `"object"`. Arguments are checked against it. */
  readonly inputSchema: Tool['inputSchema'];
  /** Advertised as is; the client checks `structuredContent` against it. */
  readonly outputSchema?: Tool['outputSchema'];
  readonly annotations?: Tool['annotations'];
  /** Only callers holding an owner credential see and may call it. Default false. */
  readonly ownerOnly?: boolean;
  /** Give up on the call after this many ms (outcome `timed_out`). Default: the server's. */
  readonly timeoutMs?: number;
  /**
   * Run the call. A thrown error or `isError: true` is outcome `failed`; the agent gets an
   * `isError` result either way, never a protocol error.
   */
  readonly run: (
    args: ToolArgs,
    context: ToolCallContext,
  ) => CallToolResult | Promise<CallToolResult>;
}

/** What a `beforeToolCall` hook decides: rewrite the arguments, block the call, or pass (void). */
export type ToolCallDecision =
  | { readonly args: ToolArgs; readonly block?: undefined }
  | { readonly block: string; readonly args?: undefined }
  | undefined
  | void;

/** A host policy run before every tool call, in order, after the arguments passed the schema. */
export type BeforeToolCallHook = (
  call: { readonly toolName: string; readonly args: ToolArgs } & ToolCallContext,
) => ToolCallDecision | Promise<ToolCallDecision>;

/** Host hooks around tool calls. */
export interface LoopbackHooks {
  /** Runs in order; each sees the previous one's arguments. A hook that throws fails the call. */
  readonly beforeToolCall?: BeforeToolCallHook | readonly BeforeToolCallHook[];
}

/** Options of `createLoopbackServer` and `ensureLoopbackServer`. */
export interface LoopbackServerOptions {
  /** Every request and tool call is tracked here. */
  readonly tracker: Tracker;
  readonly tools: readonly LoopbackTool[];
  /**
   * Prompts to offer (`prompts/list`, `prompts/get`, completions of their arguments). Given
   * (even empty), the server declares the prompts capability and `setPrompts` may change them.
   */
  readonly prompts?: readonly LoopbackPrompt[];
  /**
   * Resources to offer (`resources/list`, `resources/read`, subscriptions). Given (even empty),
   * or with `resourceTemplates`, the server declares the resources capability.
   */
  readonly resources?: readonly LoopbackResource[];
  /** Resource templates (`resources/templates/list`, reads by matching URI, completions). */
  readonly resourceTemplates?: readonly LoopbackResourceTemplate[];
  readonly hooks?: LoopbackHooks;
  /** Default 0: a free port chosen by the system. */
  readonly port?: number;
  /** `127.0.0.1` (default), `localhost` (binds 127.0.0.1) or `::1`; anything else is refused. */
  readonly host?: string;
  readonly limits?: Limits & SessionLimits;
  /** Default timeout of every tool call in ms. Default: none. */
  readonly toolTimeoutMs?: number;
  /** How long a tool waits for its agent's answer to a question (`elicit`, …). Default 60,000. */
  readonly askTimeoutMs?: number;
  /**
   * An agent session with no request and no open GET stream for this long ends; the agent's
   * next request gets 404 and it initializes again, as the spec says. Default 600,000 (10
   * minutes), on the server's scheduler.
   */
  readonly sessionIdleMs?: number;
  /** `json` (default): one JSON response per POST. `sse`: POST responses stream as SSE. */
  readonly responseMode?: 'json' | 'sse';
  /** Server name and version in the `initialize` result. Default `toolflight` and its version. */
  readonly serverInfo?: { readonly name: string; readonly version: string };
  readonly logger?: Logger;
  /**
   * Runs every timer of the server: tool timeouts, questions' deadlines, session idle
   * timeouts, the body deadline, and how long a cancellation that arrived before its call is
   * kept. Pass a virtual scheduler in tests.
   * Default RxJS `asyncScheduler`.
   */
  readonly scheduler?: SchedulerLike;
  /**
   * A request whose credential names a capture that is not live (never begun, or cleared) is
   * refused with 409 by default (`refuse`): its tool would run with nothing appended, and
   * `waitForIdle` would say idle while it runs. `serve` runs such requests untracked, for hosts
   * that do not wait on captures; credentials still name one capture and role each.
   */
  readonly untracked?: 'refuse' | 'serve';
}

/** Which role a caller's credential was minted for. */
export type LoopbackRole = 'owner' | 'non-owner';

/** Who a credential is for: one capture key, owner or not. */
export interface LoopbackCredentialOptions {
  /** The capture key the agent's requests are tracked under (at most 256 bytes of UTF-8). */
  readonly capture: string;
  /** An owner credential sees and may call owner-only tools. */
  readonly owner: boolean;
}

/** A running loopback MCP server. */
export interface LoopbackServer {
  /** `http://127.0.0.1:PORT/mcp`. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly tracker: Tracker;
  /** False once `close` was called. */
  readonly listening: boolean;
  /**
   * A bearer credential that admits one capture key and one role, and nothing else: requests
   * with it are tracked under that key's current generation. Minted without any state on the
   * server (an HMAC under a key the server forgets on close), so mint one per agent run. Hand it
   * over only through the agent's environment (`loopbackClientConfig` does).
   */
  readonly credential: (options: LoopbackCredentialOptions) => string;
  /** The tools as registered, in order. */
  readonly tools: () => readonly LoopbackTool[];
  /**
   * Replace the tool set. Open SSE streams whose visible tools changed (name, title,
   * description, schemas or annotations) get `notifications/tools/list_changed`; others do not.
   */
  readonly setTools: (tools: readonly LoopbackTool[]) => void;
  /** The prompts as registered, in order (empty when the server offers none). */
  readonly prompts: () => readonly LoopbackPrompt[];
  /**
   * Replace the prompts; sessions whose visible prompts changed get
   * `notifications/prompts/list_changed`. Throws `invalid_option` on a server created without
   * the `prompts` option (it declared no prompts capability).
   */
  readonly setPrompts: (prompts: readonly LoopbackPrompt[]) => void;
  /**
   * Replace the resources and templates (templates stay as they are when left out); sessions
   * whose visible ones changed get `notifications/resources/list_changed`. Throws
   * `invalid_option` on a server created without `resources` or `resourceTemplates`.
   */
  readonly setResources: (
    resources: readonly LoopbackResource[],
    templates?: readonly LoopbackResourceTemplate[],
  ) => void;
  /**
   * The resource at `uri` changed: every session subscribed to it (`resources/subscribe`) gets
   * `notifications/resources/updated`. Returns how many sessions were told.
   */
  readonly resourceUpdated: (uri: string) => number;
  /** How many agent sessions are open. */
  readonly sessions: () => number;
  /** How many SSE (`GET`) streams are open. */
  readonly openStreams: () => number;
  /**
   * Stop: end sessions and SSE streams, forget the credential key (no credential it minted works again),
   * drop open connections (their calls get outcome `unknown` and an aborted signal). Resolves
   * once the port is free. Idempotent.
   */
  readonly close: () => Promise<void>;
}
