// @internal The attributes the MCP conventions name, built from checked facts: the operation's
// (shared by the span and its duration metric), a peer's, and a span's name.
import type { Attributes } from '@opentelemetry/api';

import type { Peer } from './facts.js';
import type { SpanError } from './spanErrors.js';

/** What an operation is, as its span and its duration metric describe it. */
export interface Operation {
  readonly method: string | undefined;
  /** The tool (`tools/call`) or the prompt (`prompts/get`) it names. */
  readonly target: string | undefined;
  readonly protocolVersion: string | undefined;
  readonly transport: string | undefined;
}

/** `{method} {target}`, `{method}`, or `request` for a request never classified with a method. */
export function spanName(method: string | undefined, target: string | undefined): string {
  if (method === undefined) return 'request';
  return target === undefined ? method : `${method} ${target}`;
}

/**
 * `mcp.method.name`, `gen_ai.operation.name` / `gen_ai.tool.name` (tools/call),
 * `gen_ai.prompt.name` (prompts/get), `mcp.protocol.version`, `network.transport` and
 * `network.protocol.name` (`http` over tcp): the low-cardinality ones a metric may carry too.
 */
export function operationAttributes(operation: Operation): Attributes {
  const { method, target, protocolVersion, transport } = operation;
  const attributes: Attributes = {};
  if (method !== undefined) attributes['mcp.method.name'] = method;
  if (method === 'tools/call') {
    attributes['gen_ai.operation.name'] = 'execute_tool';
    if (target !== undefined) attributes['gen_ai.tool.name'] = target;
  } else if (method === 'prompts/get' && target !== undefined) {
    attributes['gen_ai.prompt.name'] = target;
  }
  if (protocolVersion !== undefined) attributes['mcp.protocol.version'] = protocolVersion;
  if (transport !== undefined) {
    attributes['network.transport'] = transport;
    // Streamable HTTP is the MCP transport over tcp; stdio is a pipe with no protocol under it.
    if (transport === 'tcp') attributes['network.protocol.name'] = 'http';
  }
  return attributes;
}

/** `client.address` / `client.port` or `server.address` / `server.port`. */
export function putPeer(
  attributes: Attributes,
  side: 'client' | 'server',
  peer: Peer | undefined,
): void {
  if (peer === undefined) return;
  attributes[`${side}.address`] = peer.address;
  if (peer.port !== undefined) attributes[`${side}.port`] = peer.port;
}

/** The operation's metric attributes: its own, and how it failed. */
export function metricAttributes(operation: Attributes, error: SpanError | undefined): Attributes {
  if (error === undefined) return operation;
  const attributes: Attributes = { ...operation, 'error.type': error.type };
  if (error.code !== undefined) attributes['rpc.response.status_code'] = error.code;
  return attributes;
}
