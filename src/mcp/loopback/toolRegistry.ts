// @internal The tool set of one loopback server: definitions, compiled argument checks, and
// what each audience (owner, non-owner) sees.
import { validateToolName } from '@modelcontextprotocol/sdk/shared/toolNameValidation.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';

import { LoopbackError } from './LoopbackError.js';
import { isList } from './catalogEntries.js';
import type { LoopbackTool } from './LoopbackServer.js';

/** A registered tool with its compiled argument check. */
export interface RegisteredTool {
  readonly definition: LoopbackTool;
  /** Undefined when the arguments fit the schema, else what is wrong. */
  readonly checkArgs: (args: unknown) => string | undefined;
}

/** Why a tool name does not resolve for a caller. */
export type ToolMiss = 'unknown' | 'owner_only';

interface Audience {
  readonly listed: readonly Tool[];
  /** Compared across `set` calls to decide whether `list_changed` is due. */
  readonly fingerprint: string;
}

/** The MCP `Tool` entry of a definition: only the fields it has. */
function describe(tool: LoopbackTool): Tool {
  const entry: Tool = { name: tool.name, inputSchema: tool.inputSchema };
  if (tool.title !== undefined) entry.title = tool.title;
  if (tool.description !== undefined) entry.description = tool.description;
  if (tool.outputSchema !== undefined) entry.outputSchema = tool.outputSchema;
  if (tool.annotations !== undefined) entry.annotations = tool.annotations;
  return entry;
}

function audience(tools: readonly LoopbackTool[], owner: boolean): Audience {
  const listed = tools.filter((tool) => owner || tool.ownerOnly !== true).map(describe);
  const sorted = [...listed].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { listed, fingerprint: JSON.stringify(sorted) };
}

function invalid(index: number, name: unknown, problem: string): LoopbackError {
  const which = typeof name === 'string' ? `tool "${name}"` : `tool #${index}`;
  return new LoopbackError('invalid_tool', `${which} ${problem}`);
}

/** Check one definition; throws `invalid_tool` saying what to fix. */
function checkDefinition(tool: LoopbackTool, index: number, seen: Set<string>): void {
  const name: unknown = tool?.name;
  if (typeof name !== 'string' || !validateToolName(name).isValid) {
    throw invalid(index, name, 'needs a name of 1 to 128 letters, digits, "_", "-" or "."');
  }
  if (seen.has(name)) throw invalid(index, name, 'is registered twice: tool names must be unique');
  seen.add(name);
  const schema: unknown = tool.inputSchema;
  if (typeof schema !== 'object' || schema === null || tool.inputSchema.type !== 'object') {
    throw invalid(index, name, 'needs an inputSchema with type "object" (MCP tool arguments)');
  }
  if (typeof tool.run !== 'function') throw invalid(index, name, 'needs a run function');
  const timeout = tool.timeoutMs;
  if (timeout !== undefined && !(Number.isInteger(timeout) && timeout > 0 && timeout < 2 ** 31)) {
    throw invalid(
      index,
      name,
      `has timeoutMs ${String(timeout)}: pass a whole number of ms from 1 to ${2 ** 31 - 1}`,
    );
  }
}

/** The tool set; `set` replaces it atomically (all definitions checked first). */
export class ToolRegistry {
  #tools: readonly LoopbackTool[] = [];
  #byName = new Map<string, RegisteredTool>();
  #owner: Audience = audience([], true);
  #nonOwner: Audience = audience([], false);

  /** Replace the tools; returns which audiences now see a different list. */
  set(tools: readonly LoopbackTool[]): { owner: boolean; nonOwner: boolean } {
    // A plain boolean check: `Array.isArray` would narrow a readonly array to `any[]`.
    if (!isList(tools)) {
      throw new LoopbackError('invalid_tool', 'tools must be an array of tool definitions');
    }
    const seen = new Set<string>();
    tools.forEach((tool, index) => checkDefinition(tool, index, seen));
    // A fresh Ajv per tool set: Ajv keeps every schema it compiled, so one long-lived instance
    // would grow with every `setTools`; this way old schemas go with the old set.
    const validator = new AjvJsonSchemaValidator();
    const byName = new Map<string, RegisteredTool>();
    for (const [index, tool] of tools.entries()) {
      let validate;
      try {
        validate = validator.getValidator(tool.inputSchema);
      } catch (error) {
        throw invalid(
          index,
          tool.name,
          `has an inputSchema that does not compile: ${String(error)}`,
        );
      }
      const checkArgs = (args: unknown): string | undefined => {
        const verdict = validate(args);
        return verdict.valid ? undefined : verdict.errorMessage;
      };
      byName.set(tool.name, { definition: tool, checkArgs });
    }
    const owner = audience(tools, true);
    const nonOwner = audience(tools, false);
    const changed = {
      owner: owner.fingerprint !== this.#owner.fingerprint,
      nonOwner: nonOwner.fingerprint !== this.#nonOwner.fingerprint,
    };
    this.#tools = [...tools];
    this.#byName = byName;
    this.#owner = owner;
    this.#nonOwner = nonOwner;
    return changed;
  }

  get tools(): readonly LoopbackTool[] {
    return this.#tools;
  }

  /** What `tools/list` answers to a caller. */
  list(owner: boolean): readonly Tool[] {
    return (owner ? this.#owner : this.#nonOwner).listed;
  }

  /** The tool a caller may call by this name, or why not. */
  lookup(name: string, owner: boolean): RegisteredTool | ToolMiss {
    const tool = this.#byName.get(name);
    if (!tool) return 'unknown';
    return tool.definition.ownerOnly === true && !owner ? 'owner_only' : tool;
  }
}
