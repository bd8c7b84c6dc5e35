// @internal completion/complete for the host's prompt arguments and template variables,
// answered as the SDK's McpServer answers it: at most 100 values with `total` and `hasMore`; an
// empty completion for an argument without a completer, or for a fixed resource's URI; -32602
// for an unknown prompt or template (as the spec's completion page asks for an invalid prompt).
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CompleteRequestSchema,
  ErrorCode,
  McpError,
  type CompleteResult,
} from '@modelcontextprotocol/sdk/types.js';

import { askHost, invalidResult, paramsOf, promptNotFound, type ContextOf } from './hostAnswers.js';
import type { Completer, CompletionContext } from './LoopbackPrompt.js';
import type { PromptRegistry } from './promptRegistry.js';
import type { ResourceRegistry } from './resourceRegistry.js';

/** The most values one completion carries (the spec's limit). */
const MAX_VALUES = 100;

const isList = (value: unknown): value is readonly unknown[] => Array.isArray(value);

/** What McpServer answers when there is nothing to complete. */
const nothing = (): CompleteResult => ({ completion: { values: [], hasMore: false } });

/** The completer of a prompt argument; undefined when it has none. */
function promptCompleter(
  prompts: PromptRegistry | undefined,
  name: string,
  argument: string,
  owner: boolean,
): Completer | undefined {
  const prompt = prompts?.lookup(name, owner) ?? 'unknown';
  if (typeof prompt === 'string') throw promptNotFound(name);
  return prompt.arguments?.find((candidate) => candidate.name === argument)?.complete;
}

/** The completer of a template variable; undefined when it has none. */
function templateCompleter(
  resources: ResourceRegistry | undefined,
  uri: string,
  variable: string,
  owner: boolean,
): Completer | undefined {
  const template = resources?.lookupTemplate(uri, owner) ?? 'unknown';
  if (typeof template !== 'string') {
    const { complete } = template;
    // `hasOwn`: a variable named `constructor` must not find Object's.
    return complete !== undefined && Object.hasOwn(complete, variable)
      ? complete[variable]
      : undefined;
  }
  // As McpServer: a fixed resource's URI has nothing to complete, which is no error.
  if (resources !== undefined && typeof resources.lookup(uri, owner) !== 'string') return undefined;
  throw new McpError(ErrorCode.InvalidParams, `resource template "${uri}" not found`);
}

/** Run a completer and cap its answer, saying honestly how many there were. */
async function suggestions(
  complete: Completer,
  value: string,
  context: CompletionContext,
  what: string,
): Promise<CompleteResult> {
  const values = await askHost(what, () => complete(value, context));
  if (!isList(values) || !values.every((entry) => typeof entry === 'string')) {
    throw invalidResult(what, 'a completer must return an array of strings');
  }
  return {
    completion: {
      values: values.slice(0, MAX_VALUES),
      total: values.length,
      hasMore: values.length > MAX_VALUES,
    },
  };
}

/** Answer completion/complete on `server` from the given registries. */
export function serveCompletions(
  server: Server,
  registries: { readonly prompts?: PromptRegistry; readonly resources?: ResourceRegistry },
  contextOf: ContextOf,
): void {
  server.setRequestHandler(
    CompleteRequestSchema.pick({ method: true }).loose(),
    async (request, extra) => {
      const { ref, argument, context } = paramsOf(
        CompleteRequestSchema,
        request,
        'completion/complete needs a "ref" ({ type: "ref/prompt", name } or { type: ' +
          '"ref/resource", uri }), an "argument" with string "name" and "value", and ' +
          '"context.arguments" (if any) mapping names to strings',
      ).params;
      const { owner, capture } = contextOf(extra);
      const given: CompletionContext = { arguments: context?.arguments ?? {}, owner, capture };
      if (ref.type === 'ref/prompt') {
        const complete = promptCompleter(registries.prompts, ref.name, argument.name, owner);
        if (complete === undefined) return nothing();
        const what = `the host's completer of argument "${argument.name}" of prompt "${ref.name}"`;
        return suggestions(complete, argument.value, given, what);
      }
      const complete = templateCompleter(registries.resources, ref.uri, argument.name, owner);
      if (complete === undefined) return nothing();
      const what = `the host's completer of "${argument.name}" in resource template "${ref.uri}"`;
      return suggestions(complete, argument.value, given, what);
    },
  );
}
