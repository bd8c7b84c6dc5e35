import { completable } from '@modelcontextprotocol/sdk/server/completable.js';
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { CompleteResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';

import { agent, catalog, connected, refusal, refused, seen } from './catalogSupport.js';

const promptRef = (name: string) => ({ type: 'ref/prompt' as const, name });
const templateRef = (uri: string) => ({ type: 'ref/resource' as const, uri });
type Ref = ReturnType<typeof promptRef> | ReturnType<typeof templateRef>;
const ask = (ref: Ref, name: string, value = '') => ({ ref, argument: { name, value } });
const empty = { completion: { values: [], hasMore: false } };

describe('serveCatalog: completion/complete', () => {
  it("completes a prompt argument with the host's values and the request's context", async () => {
    const client = await agent(false);
    const result = await client.complete({
      ...ask(promptRef('greet'), 'who', 'b'),
      context: { arguments: { tone: 'warm' } },
    });
    expect(result.completion).toEqual({ values: ['beta', 'bravo'], total: 2, hasMore: false });
    expect(seen).toEqual([
      { context: { arguments: { tone: 'warm' }, owner: false, capture: 'run-1' } },
    ]);
  });

  it('completes a template variable, with no other arguments when the agent sent none', async () => {
    const client = await agent(true);
    const result = await client.complete(ask(templateRef('file:///logs/{day}'), 'day', 'g'));
    expect(result.completion).toEqual({ values: ['gamma'], total: 1, hasMore: false });
    expect(seen).toEqual([{ context: { arguments: {}, owner: true, capture: 'run-1' } }]);
  });

  it('sends at most 100 values and says how many there were', async () => {
    const result = await (await agent(true)).complete(ask(promptRef('many'), 'n'));
    expect(result.completion.values).toEqual(Array.from({ length: 100 }, (_, i) => `v${i}`));
    expect(result.completion).toMatchObject({ total: 250, hasMore: true });
  });

  it('answers an empty completion where there is nothing to complete', async () => {
    const client = await agent(true);
    expect(await client.complete(ask(promptRef('greet'), 'tone'))).toEqual(empty);
    expect(await client.complete(ask(promptRef('greet'), 'constructor'))).toEqual(empty);
    expect(await client.complete(ask(templateRef('file:///logs/{day}'), 'toString'))).toEqual(
      empty,
    );
    expect(await client.complete(ask(templateRef('file:///readme'), 'x'))).toEqual(empty);
  });

  it("answers as the SDK's McpServer does: empty without a completer, -32602 when unknown", async () => {
    // Completers for one argument and one variable: McpServer serves completion/complete only then.
    const reference = new McpServer({ name: 'reference', version: '1' });
    const args = { tone: z.string(), who: completable(z.string(), () => []) };
    reference.registerPrompt('greet', { argsSchema: args }, () => ({ messages: [] }));
    const complete = { day: () => [] };
    const logs = new ResourceTemplate('file:///logs/{day}', { list: undefined, complete });
    reference.registerResource('logs', logs, {}, () => ({ contents: [] }));
    reference.registerResource('readme', 'file:///readme', {}, () => ({ contents: [] }));
    const direct = await connected(reference);
    const client = await agent(true);
    for (const request of [
      ask(promptRef('greet'), 'tone'),
      ask(templateRef('file:///logs/{day}'), 'month'),
      ask(templateRef('file:///readme'), 'x'),
    ]) {
      expect(await client.complete(request)).toEqual(await direct.complete(request));
    }
    for (const request of [ask(promptRef('nope'), 'x'), ask(templateRef('file:///no/{x}'), 'x')]) {
      expect((await refusal(client.complete(request))).code).toBe(
        (await refusal(direct.complete(request))).code,
      );
    }
  });

  it('refuses an owner-only prompt or template to a non-owner exactly as unknown ones', async () => {
    const other = await agent(false);
    const unregistered = await agent(false, catalog({ ownerOnly: false }));
    const hiddenAs: [Ref, string][] = [
      [promptRef('secret'), 'prompt "secret" not found'],
      [templateRef('file:///keys/{id}'), 'resource template "file:///keys/{id}" not found'],
      [templateRef('file:///vault'), 'resource template "file:///vault" not found'],
    ];
    for (const [ref, saying] of hiddenAs) {
      const hidden = await refused(other.complete(ask(ref, 'x')), -32602, saying);
      expect(await refusal(unregistered.complete(ask(ref, 'x')))).toEqual(hidden);
    }
  });

  it('answers a failing completer, and one that returns no array of strings, with -32603', async () => {
    const client = await agent(true);
    await refused(
      client.complete(ask(promptRef('broken'), 'x')),
      -32603,
      `the host's completer of argument "x" of prompt "broken" failed: completer down`,
    );
    await refused(
      client.complete(ask(promptRef('sloppy'), 'x')),
      -32603,
      'returned an invalid result: a completer must return an array of strings',
    );
  });

  it('refuses a malformed request with -32602', async () => {
    const client = await agent(true);
    for (const params of [
      { ref: { type: 'ref/tool', name: 'x' }, argument: { name: 'x', value: '' } },
      { ref: promptRef('greet'), argument: { name: 'who', value: 1 } },
      { ...ask(promptRef('greet'), 'who'), context: { arguments: { tone: 1 } } },
    ]) {
      const request = { method: 'completion/complete', params };
      await refused(
        client.request(request, CompleteResultSchema),
        -32602,
        'completion/complete needs a "ref"',
      );
    }
  });

  it('answers a template reference with -32602 when only prompts are served', async () => {
    const client = await agent(true, { prompts: catalog().prompts });
    await refused(
      client.complete(ask(templateRef('file:///logs/{day}'), 'day')),
      -32602,
      'resource template "file:///logs/{day}" not found',
    );
  });
});
