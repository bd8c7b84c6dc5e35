// toolflight/mcp: the loopback MCP server an agent host embeds, tracked by a toolflight tracker.
// Nothing here starts at import time.
export { createLoopbackServer } from './createLoopbackServer.js';
export { closeLoopbackServer, ensureLoopbackServer } from './sharedLoopbackServer.js';
export {
  loopbackClientConfig,
  type HttpServerEntry,
  type LoopbackClientConfig,
  type LoopbackClientOptions,
} from './loopbackClientConfig.js';
export { LoopbackError, type LoopbackErrorCode } from './LoopbackError.js';
export {
  CAPTURE_HEADER,
  MCP_PATH,
  type BeforeToolCallHook,
  type LoopbackHooks,
  type LoopbackLimits,
  type LoopbackLogger,
  type LoopbackRole,
  type LoopbackServer,
  type LoopbackServerOptions,
  type LoopbackTool,
  type ToolCallContext,
  type ToolCallDecision,
} from './LoopbackServer.js';
export { createProxy } from './proxy/createProxy.js';
export { hideTools } from './proxy/narrowTools.js';
export { ProxyError, type ProxyErrorCode } from './proxy/ProxyError.js';
export type {
  HttpUpstream,
  Narrower,
  Proxy,
  ProxyBackoff,
  ProxyNotice,
  ProxyOptions,
  ProxyUpstream,
  StdioUpstream,
  UnreachableCall,
  UpstreamState,
} from './proxy/Proxy.js';
export { bufferableRule } from './outbox/bufferable.js';
export { openOutbox } from './outbox/openOutbox.js';
export { OutboxError, type OutboxErrorCode } from './outbox/OutboxError.js';
export type {
  DeadEntry,
  Enqueued,
  Outbox,
  OutboxCounts,
  OutboxOpenOptions,
  PendingEntry,
  ProxyOutbox,
  ProxyOutboxOptions,
} from './outbox/Outbox.js';
