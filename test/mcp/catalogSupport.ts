// Test support for `serveCatalog`: a host's catalog of prompts, resources and templates (public,
// owner-only, throwing, answering nonsense), an SDK client connected to it over memory as one
// role, and the JSON-RPC error a request was answered with.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { expect } from 'vitest';

import { serveCatalog } from '../../src/mcp/loopback/catalogHandlers.js';
import type { CompletionContext, LoopbackPrompt } from '../../src/mcp/loopback/LoopbackPrompt.js';
import type {
  LoopbackResource,
  LoopbackResourceTemplate,
} from '../../src/mcp/loopback/LoopbackResource.js';
import type { LoopbackRequestContext } from '../../src/mcp/index.js';
import { PromptRegistry } from '../../src/mcp/loopback/promptRegistry.js';
import { ResourceRegistry } from '../../src/mcp/loopback/resourceRegistry.js';
import { onCleanup } from './support.js';

/** A user message of one text. */
export const text = (value: string) => ({
  role: 'user' as const,
  content: { type: 'text' as const, text: value },
});

/** A resources/read result of one text. */
export const contents = (uri: string, value: string) => ({ contents: [{ uri, text: value }] });

/** What a host callback was given. */
export interface Seen {
  readonly context: LoopbackRequestContext | CompletionContext;
  readonly args?: unknown;
}

/** What the host's callbacks were given, in order; emptied by each `agent`. */
export const seen: Seen[] = [];

/** Who each host callback was called for, and with what. */
export const calls = () =>
  seen.map(({ context, args }) => ({ owner: context.owner, capture: context.capture, args }));

/** The host's completer: the words that start with what the agent typed. */
const words = (context: CompletionContext, prefix: string): string[] => {
  seen.push({ context });
  return ['alpha', 'beta', 'bravo', 'gamma'].filter((word) => word.startsWith(prefix));
};

const prompts: readonly LoopbackPrompt[] = [
  {
    name: 'greet',
    title: 'Greet',
    arguments: [
      { name: 'who', required: true, complete: (value, context) => words(context, value) },
      { name: 'tone' },
    ],
    get: (args, context) => {
      seen.push({ context, args });
      return { messages: [text(`hello ${args.who}`)] };
    },
  },
  { name: 'secret', ownerOnly: true, get: () => ({ messages: [text('owner eyes only')] }) },
  {
    name: 'many',
    arguments: [{ name: 'n', complete: () => Array.from({ length: 250 }, (_, i) => `v${i}`) }],
    get: () => ({ messages: [] }),
  },
  {
    name: 'broken',
    arguments: [{ name: 'x', complete: () => Promise.reject(new Error('completer down')) }],
    get: () => {
      throw new Error('the database is down');
    },
  },
  {
    name: 'sloppy',
    arguments: [{ name: 'x', complete: () => 'nope' as never }],
    get: () => ({ messages: [{ role: 'robot' }] }) as never,
  },
];

const resources: readonly LoopbackResource[] = [
  {
    uri: 'file:///readme',
    name: 'readme',
    mimeType: 'text/plain',
    read: (context) => {
      seen.push({ context });
      return contents('file:///readme', 'read me');
    },
  },
  { uri: 'file:///vault', name: 'vault', ownerOnly: true, read: () => contents('x:', 'gold') },
  { uri: 'file:///broken', name: 'broken', read: () => Promise.reject(new Error('disk gone')) },
  { uri: 'file:///sloppy', name: 'sloppy', read: () => ({ contents: 'nope' }) as never },
];

const templates: readonly LoopbackResourceTemplate[] = [
  {
    uriTemplate: 'file:///logs/{day}',
    name: 'logs',
    complete: { day: (value, context) => words(context, value) },
    read: (uri, variables, context) => {
      seen.push({ context, args: variables });
      return contents(uri, `log of ${String(variables.day)}`);
    },
  },
  {
    uriTemplate: 'file:///keys/{id}',
    name: 'keys',
    ownerOnly: true,
    read: (uri) => contents(uri, 'key'),
  },
];

/** The registries of `serveCatalog`. */
export type Catalog = Parameters<typeof serveCatalog>[1];

/**
 * The host's catalog. With `ownerOnly: false` the owner-only entries are not registered at
 * all: what a non-owner gets there is what "unknown" reads like.
 */
export function catalog({ ownerOnly = true } = {}): Required<Catalog> {
  const keep = (entry: { readonly ownerOnly?: boolean }) => ownerOnly || entry.ownerOnly !== true;
  const promptRegistry = new PromptRegistry();
  promptRegistry.set(prompts.filter(keep));
  const resourceRegistry = new ResourceRegistry();
  resourceRegistry.set(resources.filter(keep), templates.filter(keep));
  return { prompts: promptRegistry, resources: resourceRegistry };
}

/** An SDK client connected over memory to a `Server` that serves `registries` to one role. */
export async function agent(owner: boolean, registries: Catalog = catalog()): Promise<Client> {
  seen.length = 0;
  const server = new Server(
    { name: 'catalog', version: '1' },
    { capabilities: { prompts: { listChanged: true } } },
  );
  serveCatalog(server, registries, (extra) => ({
    signal: extra.signal,
    owner,
    capture: 'run-1',
    session: extra.sessionId,
  }));
  return connected(server);
}

/** An SDK client connected over memory to `server` (an SDK `Server` or `McpServer`). */
export async function connected(server: { connect: Server['connect'] }): Promise<Client> {
  const client = new Client({ name: 'agent', version: '1' });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  await client.connect(clientSide);
  onCleanup(() => client.close());
  return client;
}

/** The JSON-RPC error a request was answered with, checked to have `code` and say `saying`. */
export async function refused(
  request: Promise<unknown>,
  code: number,
  saying: string,
): Promise<{ code: number; message: string; data: unknown }> {
  const answer = await refusal(request);
  expect(answer.code).toBe(code);
  expect(answer.message).toContain(saying);
  return answer;
}

/** The JSON-RPC error a request was answered with, as `{ code, message, data }`. */
export async function refusal(
  request: Promise<unknown>,
): Promise<{ code: number; message: string; data: unknown }> {
  const error: unknown = await request.then(
    () => expect.fail('the request was answered with a result'),
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(McpError);
  const { code, message, data } = error as McpError;
  return { code, message, data };
}
