// @internal What the host offers on one loopback server (tools, and prompts and resources when
// it offers them), and who hears of a change: the sessions, and the session-less streams, of
// each audience whose view changed; a resource's subscribers when it was updated.
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

import type { SessionRegistry } from '../endpoint/sessionRegistry.js';
import type { AudiencesChanged } from './catalogEntries.js';
import { LIST_CHANGED, type SseStreams } from '../endpoint/sseStreams.js';
import { LoopbackError } from './LoopbackError.js';
import type { LoopbackPrompt } from './LoopbackPrompt.js';
import type { LoopbackResource, LoopbackResourceTemplate } from './LoopbackResource.js';
import type { LoopbackRole, LoopbackServerOptions, LoopbackTool } from './LoopbackServer.js';
import type { LoopbackSession } from './loopbackSession.js';
import { PromptRegistry } from './promptRegistry.js';
import { ResourceRegistry } from './resourceRegistry.js';
import { ToolRegistry } from './toolRegistry.js';

const PROMPTS_CHANGED = {
  jsonrpc: '2.0',
  method: 'notifications/prompts/list_changed',
} as const satisfies JSONRPCMessage;
const RESOURCES_CHANGED = {
  jsonrpc: '2.0',
  method: 'notifications/resources/list_changed',
} as const satisfies JSONRPCMessage;

const isOwner = (session: LoopbackSession): boolean => session.role === 'owner';

/** The host's tools, prompts and resources on one server. */
export class HostCatalog {
  readonly tools = new ToolRegistry();
  /** Undefined when the host offers no prompts (the server declares no prompts capability). */
  readonly prompts: PromptRegistry | undefined;
  /** Undefined when the host offers no resources. */
  readonly resources: ResourceRegistry | undefined;

  constructor(
    options: Pick<LoopbackServerOptions, 'tools' | 'prompts' | 'resources' | 'resourceTemplates'>,
    private readonly sessions: SessionRegistry<LoopbackSession>,
    private readonly streams: SseStreams<LoopbackRole>,
  ) {
    this.tools.set(options.tools);
    if (options.prompts !== undefined) {
      this.prompts = new PromptRegistry();
      this.prompts.set(options.prompts);
    }
    if (options.resources !== undefined || options.resourceTemplates !== undefined) {
      this.resources = new ResourceRegistry();
      this.resources.set(options.resources ?? [], options.resourceTemplates ?? []);
    }
  }

  setTools(tools: readonly LoopbackTool[]): void {
    this.#announce(LIST_CHANGED, this.tools.set(tools));
  }

  setPrompts(prompts: readonly LoopbackPrompt[]): void {
    if (this.prompts === undefined) {
      throw new LoopbackError(
        'invalid_option',
        'this loopback server offers no prompts: pass prompts (even []) to createLoopbackServer, so that it declares the prompts capability',
      );
    }
    this.#announce(PROMPTS_CHANGED, this.prompts.set(prompts));
  }

  setResources(
    resources: readonly LoopbackResource[],
    templates?: readonly LoopbackResourceTemplate[],
  ): void {
    const registry = this.resources;
    if (registry === undefined) {
      throw new LoopbackError(
        'invalid_option',
        'this loopback server offers no resources: pass resources (even []) to createLoopbackServer, so that it declares the resources capability',
      );
    }
    this.#announce(
      RESOURCES_CHANGED,
      registry.set(resources, templates ?? registry.registered.templates),
    );
    // A subscription to what a session can no longer see (gone, or owner-only now) ends.
    for (const session of this.sessions.where((live) => live.subscriptions.size > 0)) {
      for (const uri of session.subscriptions) {
        if (!registry.has(uri, isOwner(session))) session.subscriptions.delete(uri);
      }
    }
  }

  /** Tell the sessions subscribed to `uri` (and able to see it) that it changed; how many. */
  resourceUpdated(uri: string): number {
    const told = this.sessions.where(
      (session) =>
        session.subscriptions.has(uri) && this.resources?.has(uri, isOwner(session)) === true,
    );
    const updated = {
      jsonrpc: '2.0' as const,
      method: 'notifications/resources/updated',
      params: { uri },
    };
    for (const session of told) session.toStream(updated);
    return told.length;
  }

  /** Tell the sessions (and session-less streams) of every audience that changed. */
  #announce(message: JSONRPCMessage, changed: AudiencesChanged): void {
    const heard = (role: LoopbackRole) => (role === 'owner' ? changed.owner : changed.nonOwner);
    for (const session of this.sessions.where((live) => heard(live.role))) {
      session.toStream(message);
    }
    this.streams.send(message, heard);
  }
}
