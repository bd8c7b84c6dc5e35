// @internal The host's prompts and resources on an SDK server: prompts/list, prompts/get,
// resources/list, resources/templates/list, resources/read and completion/complete.
// Subscriptions and logging are the session code's.
//
// No pagination: every list is answered whole, without `nextCursor`, so a client never holds a
// cursor of ours and one it sends is ignored (as the SDK's McpServer does).
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  ErrorCode,
  GetPromptRequestSchema,
  GetPromptResultSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  ReadResourceResultSchema,
} from '@modelcontextprotocol/sdk/types.js';

import { serveCompletions } from './completionHandler.js';
import { askHost, checkedResult, paramsOf, promptNotFound, type ContextOf } from './hostAnswers.js';
import type { PromptRegistry } from './promptRegistry.js';
import type { ResourceRegistry } from './resourceRegistry.js';

/** MCP's code for a URI no resource answers to (the spec's resources page, "Error Handling"). */
const RESOURCE_NOT_FOUND = -32002;

function servePrompts(server: Server, prompts: PromptRegistry, contextOf: ContextOf): void {
  server.setRequestHandler(ListPromptsRequestSchema.pick({ method: true }).loose(), (_, extra) => ({
    prompts: [...prompts.list(contextOf(extra).owner)],
  }));
  server.setRequestHandler(
    GetPromptRequestSchema.pick({ method: true }).loose(),
    async (request, extra) => {
      const { params } = paramsOf(
        GetPromptRequestSchema,
        request,
        'prompts/get needs a string "name", and "arguments" (if any) mapping names to strings',
      );
      const { name, arguments: args = {} } = params;
      const context = contextOf(extra);
      const prompt = prompts.lookup(name, context.owner);
      if (typeof prompt === 'string') throw promptNotFound(name);
      const missing = (prompt.arguments ?? [])
        .filter((argument) => argument.required === true && !Object.hasOwn(args, argument.name))
        .map((argument) => `"${argument.name}"`);
      if (missing.length > 0) {
        const noun = missing.length === 1 ? 'argument' : 'arguments';
        throw new McpError(
          ErrorCode.InvalidParams,
          `prompt "${name}" needs the required ${noun} ${missing.join(', ')}`,
        );
      }
      const what = `the host's prompt "${name}"`;
      const result = await askHost(what, () => prompt.get(args, context));
      return checkedResult(GetPromptResultSchema, result, what);
    },
  );
}

function serveResources(server: Server, resources: ResourceRegistry, contextOf: ContextOf): void {
  server.setRequestHandler(
    ListResourcesRequestSchema.pick({ method: true }).loose(),
    (_, extra) => ({ resources: [...resources.list(contextOf(extra).owner)] }),
  );
  server.setRequestHandler(
    ListResourceTemplatesRequestSchema.pick({ method: true }).loose(),
    (_, extra) => ({ resourceTemplates: [...resources.templates(contextOf(extra).owner)] }),
  );
  server.setRequestHandler(
    ReadResourceRequestSchema.pick({ method: true }).loose(),
    async (request, extra) => {
      const { uri } = paramsOf(
        ReadResourceRequestSchema,
        request,
        'resources/read needs a string "uri"',
      ).params;
      const context = contextOf(extra);
      const found = resources.resolve(uri, context.owner);
      // Unknown and owner-only-for-a-non-owner read the same to the agent: nothing leaks.
      if (typeof found === 'string') {
        throw new McpError(RESOURCE_NOT_FOUND, 'Resource not found', { uri });
      }
      let result: unknown;
      let what: string;
      if (found.resource) {
        what = `the host's resource "${uri}"`;
        const { resource } = found;
        result = await askHost(what, () => resource.read(context));
      } else {
        what = `the host's resource template "${found.template.uriTemplate}"`;
        const { template, variables } = found;
        result = await askHost(what, () => template.read(uri, variables, context));
      }
      return checkedResult(ReadResourceResultSchema, result, what);
    },
  );
}

/**
 * Answer the host's prompts and resources on `server`: prompts/list and prompts/get when
 * `prompts` is given, resources/list, resources/templates/list and resources/read when
 * `resources` is, and completion/complete when either is. Registers the `prompts`, `resources`
 * and `completions` capabilities this needs (merged with those the server already has, so its
 * `listChanged` and `subscribe` flags stay), so call it before `server.connect`.
 */
export function serveCatalog(
  server: Server,
  registries: { readonly prompts?: PromptRegistry; readonly resources?: ResourceRegistry },
  contextOf: ContextOf,
): void {
  const { prompts, resources } = registries;
  const completes = prompts !== undefined || resources !== undefined;
  // The SDK refuses a handler whose capability the server has not declared.
  server.registerCapabilities({
    ...(prompts && { prompts: {} }),
    ...(resources && { resources: {} }),
    ...(completes && { completions: {} }),
  });
  if (prompts) servePrompts(server, prompts, contextOf);
  if (resources) serveResources(server, resources, contextOf);
  if (completes) serveCompletions(server, { prompts, resources }, contextOf);
}
