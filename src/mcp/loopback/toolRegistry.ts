// @internal The tool set of one loopback server: definitions, compiled argument checks, and
// what each audience (owner, non-owner) sees.
import { validateToolName } from '@modelcontextprotocol/sdk/shared/toolNameValidation.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';

import { LoopbackError } from './LoopbackError.js';
import {
  isList,
  Listed,
  visibleTo,
  type AudiencesChanged,
  type CatalogMiss,
} from './catalogEntries.js';
import type { LoopbackTool } from './LoopbackServer.js';

/** A registered tool with its compiled argument check. */
export interface RegisteredTool {
  readonly definition: LoopbackTool;
  /** Undefined when the arguments fit the schema, else what is wrong. */
  readonly checkArgs: (args: unknown) => string | undefined;
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
  readonly #listed = new Listed<LoopbackTool, Tool>(describe, (entry) => entry.name);

  /** Replace the tools; returns which audiences now see a different list. */
  set(tools: readonly LoopbackTool[]): AudiencesChanged {
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
    this.#tools = [...tools];
    this.#byName = byName;
    return this.#listed.replace(tools);
  }

  get tools(): readonly LoopbackTool[] {
    return this.#tools;
  }

  /** What `tools/list` answers to a caller. */
  list(owner: boolean): readonly Tool[] {
    return this.#listed.list(owner);
  }

  /** The tool a caller may call by this name, or why not. */
  lookup(name: string, owner: boolean): RegisteredTool | CatalogMiss {
    const tool = this.#byName.get(name);
    if (!tool) return 'unknown';
    return visibleTo(tool.definition, owner) ? tool : 'owner_only';
  }
}
