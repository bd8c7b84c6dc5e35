/** What a host's handler (a tool, a prompt, a resource) knows about the request it serves. */
export interface LoopbackRequestContext {
  /** Aborted when the request timed out, was cancelled, or its client went away: stop then. */
  readonly signal: AbortSignal;
  /** True when the caller presented an owner credential. */
  readonly owner: boolean;
  /** The capture key the caller's credential is bound to. */
  readonly capture: string;
  /** The agent's session (`Mcp-Session-Id`); undefined for a request sent without one. */
  readonly session: string | undefined;
}
