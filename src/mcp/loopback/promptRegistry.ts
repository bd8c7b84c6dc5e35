// @internal The prompt set of one loopback server: definitions, and what each audience (owner,
// non-owner) sees.
import { PromptSchema, type Prompt, type PromptArgument } from '@modelcontextprotocol/sdk/types.js';

import {
  type CatalogMiss,
  entryProblem,
  isList,
  nonEmptyString,
  Listed,
  visibleTo,
  type AudiencesChanged,
} from './catalogEntries.js';
import { LoopbackError } from './LoopbackError.js';
import type { LoopbackPrompt, LoopbackPromptArgument } from './LoopbackPrompt.js';

/** The longest prompt name accepted, as for tool names. */
const MAX_NAME_LENGTH = 128;

/** The MCP entry of an argument: only the fields it has, `complete` left out. */
function describeArgument(argument: LoopbackPromptArgument): PromptArgument {
  // `title` is in the spec's PromptArgument (BaseMetadata) though the SDK's type lacks it.
  const entry: PromptArgument & { title?: string } = { name: argument.name };
  if (argument.title !== undefined) entry.title = argument.title;
  if (argument.description !== undefined) entry.description = argument.description;
  if (argument.required !== undefined) entry.required = argument.required;
  return entry;
}

/** The MCP `Prompt` entry of a definition: only the fields it has. */
function describe(prompt: LoopbackPrompt): Prompt {
  const entry: Prompt = { name: prompt.name };
  if (prompt.title !== undefined) entry.title = prompt.title;
  if (prompt.description !== undefined) entry.description = prompt.description;
  if (prompt.arguments !== undefined) entry.arguments = prompt.arguments.map(describeArgument);
  return entry;
}

function invalid(index: number, name: unknown, problem: string): LoopbackError {
  const which = nonEmptyString(name) ? `prompt "${name}"` : `prompt #${index}`;
  return new LoopbackError('invalid_prompt', `${which} ${problem}`);
}

/** Check the arguments of one prompt; throws `invalid_prompt` saying what to fix. */
function checkArguments(prompt: LoopbackPrompt, index: number): void {
  const list: unknown = prompt.arguments;
  if (list === undefined) return;
  if (!isList(list)) {
    throw invalid(index, prompt.name, 'has arguments that are not an array of { name, ... }');
  }
  const seen = new Set<string>();
  for (const [at, argument] of (prompt.arguments ?? []).entries()) {
    const name: unknown = argument?.name;
    if (!nonEmptyString(name)) {
      throw invalid(index, prompt.name, `needs a non-empty name for argument #${at}`);
    }
    if (seen.has(name)) {
      throw invalid(index, prompt.name, `has argument "${name}" twice: names must be unique`);
    }
    seen.add(name);
    if (argument.complete !== undefined && typeof argument.complete !== 'function') {
      throw invalid(index, prompt.name, `has argument "${name}" whose complete is not a function`);
    }
  }
}

/** Check one definition; throws `invalid_prompt` saying what to fix. */
function checkDefinition(prompt: LoopbackPrompt, index: number, seen: Set<string>): void {
  const name: unknown = prompt?.name;
  if (!nonEmptyString(name) || name.length > MAX_NAME_LENGTH) {
    throw invalid(index, name, `needs a name of 1 to ${MAX_NAME_LENGTH} characters`);
  }
  if (seen.has(name)) {
    throw invalid(index, name, 'is registered twice: prompt names must be unique');
  }
  seen.add(name);
  checkArguments(prompt, index);
  if (typeof prompt.get !== 'function') throw invalid(index, name, 'needs a get function');
  const problem = entryProblem(PromptSchema, describe(prompt));
  if (problem !== undefined) throw invalid(index, name, problem);
}

/** The prompt set; `set` replaces it atomically (all definitions checked first). */
export class PromptRegistry {
  #prompts: readonly LoopbackPrompt[] = [];
  #byName = new Map<string, LoopbackPrompt>();
  readonly #listed = new Listed<LoopbackPrompt, Prompt>(describe, (entry) => entry.name);

  /** Replace the prompts; returns which audiences now see a different list. */
  set(prompts: readonly LoopbackPrompt[]): AudiencesChanged {
    // A plain boolean check: `Array.isArray` would narrow a readonly array to `any[]`.
    if (!isList(prompts)) {
      throw new LoopbackError('invalid_prompt', 'prompts must be an array of prompt definitions');
    }
    const seen = new Set<string>();
    prompts.forEach((prompt, index) => checkDefinition(prompt, index, seen));
    this.#prompts = [...prompts];
    this.#byName = new Map(prompts.map((prompt) => [prompt.name, prompt]));
    return this.#listed.replace(prompts);
  }

  /** The prompts as registered, in order. */
  get prompts(): readonly LoopbackPrompt[] {
    return this.#prompts;
  }

  /** What `prompts/list` answers to a caller. */
  list(owner: boolean): readonly Prompt[] {
    return this.#listed.list(owner);
  }

  /** The prompt a caller may get by this name, or why not. */
  lookup(name: string, owner: boolean): LoopbackPrompt | CatalogMiss {
    const prompt = this.#byName.get(name);
    if (!prompt) return 'unknown';
    return visibleTo(prompt, owner) ? prompt : 'owner_only';
  }
}
