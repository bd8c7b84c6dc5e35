import type { GetPromptResult } from '@modelcontextprotocol/sdk/types.js';

import type { LoopbackRequestContext } from './LoopbackRequestContext.js';

/** What a completion callback knows: the arguments the agent filled in so far, and who asks. */
export interface CompletionContext {
  /** The other arguments (or template variables) already given, by name. */
  readonly arguments: Readonly<Record<string, string>>;
  readonly owner: boolean;
  readonly capture: string;
}

/**
 * Suggestions for a value the agent is typing (`completion/complete`). The server sends at most
 * 100 of them and says whether there were more.
 */
export type Completer = (
  value: string,
  context: CompletionContext,
) => readonly string[] | Promise<readonly string[]>;

/** One argument of a prompt. */
export interface LoopbackPromptArgument {
  readonly name: string;
  readonly title?: string;
  readonly description?: string;
  /** `prompts/get` without it is refused with -32602. Default false. */
  readonly required?: boolean;
  /** Suggestions for this argument's value. */
  readonly complete?: Completer;
}

/** A prompt the loopback server offers (`prompts/list`, `prompts/get`). */
export interface LoopbackPrompt {
  /** Unique among the server's prompts. */
  readonly name: string;
  readonly title?: string;
  readonly description?: string;
  readonly arguments?: readonly LoopbackPromptArgument[];
  /** Only callers holding an owner credential see and may get it. Default false. */
  readonly ownerOnly?: boolean;
  /** The prompt's messages for these arguments (every required one is present). */
  readonly get: (
    args: Readonly<Record<string, string>>,
    context: LoopbackRequestContext,
  ) => GetPromptResult | Promise<GetPromptResult>;
}
