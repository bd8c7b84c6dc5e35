// @internal One gateway session's prompts, resources and resource templates: each server's
// lists (paged through, each server within the list wait) merged, prompts under the gateway's
// names, resources under their own URIs with the server named in `_meta`; and which server a
// `prompts/get`, a `resources/*` or a `completion/complete` belongs to.
import type { JSONRPCRequest } from '@modelcontextprotocol/sdk/types.js';
import { UriTemplate } from '@modelcontextprotocol/sdk/shared/uriTemplate.js';
import type { SchedulerLike } from 'rxjs';

import type { SpanParent } from '../endpoint/rpcFacts.js';
import type { GatewayUpstream } from './gatewayUpstream.js';
import type { ServerPart } from './ServerPart.js';
import { nameCatalog, type NamedCatalog } from './namedCatalog.js';

/** The `_meta` key that names the server a resource or template came from. */
export const SERVER_META = 'dev.toolflight/server';

const MAX_PAGES = 100;

type Item = { readonly name: string } & Record<string, unknown>;
type Resource = { readonly uri: string } & Record<string, unknown>;
type Template = { readonly uriTemplate: string } & Record<string, unknown>;

/** What the lists need from the session and the gateway. */
export interface ListsDeps {
  readonly servers: readonly GatewayUpstream[];
  readonly part: (server: string) => ServerPart;
  /** What prompt names start with, per server, where it is not the server's name. */
  readonly prefixes: ReadonlyMap<string, string>;
  readonly scheduler: SchedulerLike;
  readonly listWaitMs: number;
}

/** `promise`'s value, or undefined once `ms` of `scheduler` passed first. */
export function withinMs<T>(
  scheduler: SchedulerLike,
  ms: number,
  promise: Promise<T>,
): Promise<T | undefined> {
  return new Promise<T | undefined>((resolve) => {
    const timer = scheduler.schedule(() => resolve(undefined), ms);
    promise.then(
      (value) => {
        timer.unsubscribe();
        resolve(value);
      },
      () => {
        timer.unsubscribe();
        resolve(undefined);
      },
    );
  });
}

/** What makes an item of each list usable: the string it is found by. */
const KEYS: Readonly<Record<string, string>> = {
  prompts: 'name',
  resources: 'uri',
  resourceTemplates: 'uriTemplate',
};

/**
 * Every page of a list method through `part`, or undefined when it failed; an item that is not
 * an object with its string key (a prompt's `name`, a resource's `uri`) is left out, so one
 * server's garbage never reaches what the others listed.
 */
async function pages<T>(
  part: ServerPart,
  method: string,
  key: string,
  span: SpanParent | undefined,
): Promise<T[] | undefined> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const outcome = await part.link.forward(
      {
        jsonrpc: '2.0',
        id: `toolflight-${method}-${page}`,
        method,
        ...(cursor === undefined ? {} : { params: { cursor } }),
      },
      { span },
    );
    if (outcome.kind !== 'answer' || !('result' in outcome.message)) return undefined;
    const result = outcome.message.result as Record<string, unknown>;
    const got = result[key];
    if (!Array.isArray(got)) return undefined;
    const field = KEYS[key]!;
    for (const item of got as unknown[]) {
      if (
        item !== null &&
        typeof item === 'object' &&
        typeof (item as Record<string, unknown>)[field] === 'string'
      ) {
        items.push(item as T);
      }
    }
    cursor = typeof result.nextCursor === 'string' ? result.nextCursor : undefined;
    if (cursor === undefined) break;
  }
  return items;
}

/** Where a routed request goes, rewritten for its server, or the SDK's words for a miss. */
export type Routed =
  { readonly server: string; readonly request: JSONRPCRequest } | { readonly error: string };

/**
 * The prompts, resources and templates of one gateway session. Each method takes `span`, the
 * agent request it lists for: every page sent for it (and a handshake it causes) is its child.
 */
export class GatewayLists {
  #prompts: NamedCatalog<Item> | undefined;
  /** The server of each URI listed, the first server in configuration order for a repeat. */
  #uris: ReadonlyMap<string, string> | undefined;
  #templates: readonly (readonly [server: string, template: Template])[] | undefined;

  constructor(private readonly deps: ListsDeps) {}

  /** Every server's prompts, under the gateway's names. */
  async prompts(span?: SpanParent): Promise<readonly Item[]> {
    const lists = await this.#each<Item>('prompts', 'prompts/list', 'prompts', span);
    this.#prompts = nameCatalog(lists, [], this.deps.prefixes);
    return this.#prompts.items;
  }

  /** Every server's resources, by their own URIs, each naming its server in `_meta`. */
  async resources(span?: SpanParent): Promise<readonly Resource[]> {
    const lists = await this.#each<Resource>('resources', 'resources/list', 'resources', span);
    const uris = new Map<string, string>();
    const all: Resource[] = [];
    for (const [server, list] of lists) {
      for (const resource of list ?? []) {
        if (uris.has(resource.uri)) continue;
        uris.set(resource.uri, server);
        all.push(withServer(resource, server));
      }
    }
    this.#uris = uris;
    return all;
  }

  /** Every server's resource templates, each naming its server in `_meta`. */
  async templates(span?: SpanParent): Promise<readonly Template[]> {
    const lists = await this.#each<Template>(
      'resources',
      'resources/templates/list',
      'resourceTemplates',
      span,
    );
    const templates: (readonly [string, Template])[] = [];
    for (const [server, list] of lists) {
      for (const template of list ?? []) templates.push([server, template]);
    }
    this.#templates = templates;
    return templates.map(([server, template]) => withServer(template, server));
  }

  /** The server a request names (by prompt name, URI or template), listing first if need be. */
  async route(request: JSONRPCRequest, span?: SpanParent): Promise<Routed> {
    const params = (request.params ?? {}) as Record<string, unknown>;
    if (request.method === 'prompts/get') return this.#prompt(request, params, span);
    if (request.method === 'completion/complete') {
      const ref = (params.ref ?? {}) as Record<string, unknown>;
      if (ref.type === 'ref/prompt') {
        const found = await this.#promptServer(ref.name, span);
        if (found === undefined) return { error: `Prompt ${String(ref.name)} not found` };
        const rewritten = { ...params, ref: { ...ref, name: found.upstreamName } };
        return { server: found.server, request: { ...request, params: rewritten } };
      }
      const server = await this.#templateServer(ref.uri, span);
      if (server === undefined) return { error: `Resource template ${String(ref.uri)} not found` };
      return { server, request };
    }
    const server = await this.#uriServer(params.uri, span);
    if (server === undefined) return { error: `Resource ${String(params.uri)} not found` };
    return { server, request };
  }

  async #prompt(
    request: JSONRPCRequest,
    params: Record<string, unknown>,
    span: SpanParent | undefined,
  ): Promise<Routed> {
    const found = await this.#promptServer(params.name, span);
    if (found === undefined) return { error: `Prompt ${String(params.name)} not found` };
    return {
      server: found.server,
      request: { ...request, params: { ...params, name: found.upstreamName } },
    };
  }

  async #promptServer(
    name: unknown,
    span: SpanParent | undefined,
  ): Promise<{ readonly server: string; readonly upstreamName: string } | undefined> {
    if (typeof name !== 'string') return undefined;
    if (!this.#prompts?.byName.has(name)) await this.prompts(span);
    return this.#prompts?.byName.get(name);
  }

  async #uriServer(uri: unknown, span: SpanParent | undefined): Promise<string | undefined> {
    if (typeof uri !== 'string') return undefined;
    if (!this.#uris?.has(uri)) await this.resources(span);
    const listed = this.#uris?.get(uri);
    if (listed !== undefined) return listed;
    // Not listed: the first template (in configuration order) that matches it.
    if (this.#templates === undefined) await this.templates(span);
    for (const [server, template] of this.#templates ?? []) {
      if (matches(template.uriTemplate, uri)) return server;
    }
    return undefined;
  }

  async #templateServer(uri: unknown, span: SpanParent | undefined): Promise<string | undefined> {
    if (typeof uri !== 'string') return undefined;
    if (!this.#templates?.some(([, t]) => t.uriTemplate === uri)) await this.templates(span);
    return this.#templates?.find(([, t]) => t.uriTemplate === uri)?.[0];
  }

  /**
   * Each server's list of `method` (only servers whose handshake declares `capability`), each
   * within the list wait: a server that has not answered by then is left out of this answer.
   */
  async #each<T>(
    capability: 'prompts' | 'resources',
    method: string,
    key: string,
    span: SpanParent | undefined,
  ): Promise<(readonly [string, T[] | undefined])[]> {
    const { servers, scheduler, listWaitMs } = this.deps;
    return Promise.all(
      servers.map(async (server) => {
        const part = this.deps.part(server.name);
        const list = withinMs(
          scheduler,
          listWaitMs,
          part.link.ensure(span).then(() => {
            if (part.link.initialized?.capabilities[capability] === undefined) return undefined;
            return pages<T>(part, method, key, span);
          }),
        );
        return [server.name, await list] as const;
      }),
    );
  }
}

function withServer<T extends Record<string, unknown>>(item: T, server: string): T {
  const own = item._meta;
  const meta = own !== null && typeof own === 'object' ? (own as Record<string, unknown>) : {};
  return { ...item, _meta: { ...meta, [SERVER_META]: server } };
}

function matches(template: string, uri: string): boolean {
  try {
    return new UriTemplate(template).match(uri) !== null;
  } catch {
    // A template the SDK cannot read matches nothing.
    return false;
  }
}
