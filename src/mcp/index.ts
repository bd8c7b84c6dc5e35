// toolflight/mcp: tracked MCP endpoints an agent host embeds (the loopback server, the proxy and
// its outbox), and what they share. Nothing here starts at import time.
export { CAPTURE_HEADER, MCP_PATH, type Limits } from './endpoint/Endpoint.js';
export { createLoopbackServer } from './loopback/createLoopbackServer.js';
export { closeLoopbackServer, ensureLoopbackServer } from './loopback/sharedLoopbackServer.js';
export {
  loopbackClientConfig,
  type HttpServerEntry,
  type LoopbackClientConfig,
  type LoopbackClientOptions,
} from './loopback/loopbackClientConfig.js';
export { LoopbackError, type LoopbackErrorCode } from './loopback/LoopbackError.js';
export type {
  AskOptions,
  BeforeToolCallHook,
  LoopbackCredentialOptions,
  LoopbackHooks,
  LoopbackRole,
  LoopbackServer,
  LoopbackServerOptions,
  LoopbackTool,
  ToolCallContext,
  ToolCallDecision,
} from './loopback/LoopbackServer.js';
export type {
  Completer,
  CompletionContext,
  LoopbackPrompt,
  LoopbackPromptArgument,
} from './loopback/LoopbackPrompt.js';
export type { LoopbackRequestContext } from './loopback/LoopbackRequestContext.js';
export type { LoopbackResource, LoopbackResourceTemplate } from './loopback/LoopbackResource.js';
export type { SessionLimits } from './endpoint/sessionLimits.js';
export { createProxy } from './proxy/createProxy.js';
export { hideTools } from './proxy/narrowTools.js';
export { ProxyError, type ProxyErrorCode } from './proxy/ProxyError.js';
export type { Narrower, Proxy, ProxyLimits, ProxyNotice, ProxyOptions } from './proxy/Proxy.js';
export type {
  HttpUpstream,
  ProxyBackoff,
  ProxyUpstream,
  StdioUpstream,
  UpstreamNotice,
  UpstreamState,
} from './proxy/upstream/Upstream.js';
export { bufferableRule } from './proxy/outbox/bufferable.js';
export { openOutbox } from './proxy/outbox/openOutbox.js';
export { OutboxError, type OutboxErrorCode } from './proxy/outbox/OutboxError.js';
export type {
  DeadEntry,
  Enqueued,
  KeptCatalogRow,
  Outbox,
  OutboxCounts,
  OutboxOpenOptions,
  PendingEntry,
  ProxyOutbox,
  ProxyOutboxOptions,
  Retried,
  UnreachableCall,
} from './proxy/outbox/Outbox.js';
export { createGateway } from './gateway/createGateway.js';
export { GatewayError, type GatewayErrorCode } from './gateway/GatewayError.js';
export type {
  Gateway,
  GatewayOptions,
  GatewayServer,
  GatewayServerState,
} from './gateway/Gateway.js';
export { agentEntry, type AgentEntry, type AgentEntryOptions } from './gateway/agentEntry.js';
export { gatewayServers } from './gateway/gatewayServers.js';
export {
  configFingerprint,
  configuredServers,
  parseMcpServers,
  type McpServersSource,
} from './gateway/mcpServersConfig.js';
export type {
  McpHttpServerEntry,
  McpServerEntry,
  McpServersConfig,
  McpStdioServerEntry,
} from './gateway/McpServerEntry.js';
export { resolveUpstream } from './gateway/resolveUpstream.js';
