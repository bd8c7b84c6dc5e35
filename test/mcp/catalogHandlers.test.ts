import {
  GetPromptResultSchema,
  ReadResourceResultSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';

import type { LoopbackRequestContext } from '../../src/mcp/index.js';
import { agent, calls, catalog, contents, refusal, refused, seen, text } from './catalogSupport.js';

describe('serveCatalog: prompts', () => {
  it('lists every prompt to the owner and only the public ones to a non-owner', async () => {
    const names = async (owner: boolean) =>
      (await (await agent(owner)).listPrompts()).prompts.map((prompt) => prompt.name);
    expect(await names(true)).toEqual(['greet', 'secret', 'many', 'broken', 'sloppy']);
    expect(await names(false)).toEqual(['greet', 'many', 'broken', 'sloppy']);
    const [greet] = (await (await agent(false)).listPrompts()).prompts;
    expect(greet).toEqual({
      name: 'greet',
      title: 'Greet',
      arguments: [{ name: 'who', required: true }, { name: 'tone' }],
    });
  });

  it("gets a prompt with the agent's arguments and the caller's request context", async () => {
    const client = await agent(false);
    const result = await client.getPrompt({ name: 'greet', arguments: { who: 'ada' } });
    expect(result.messages).toEqual([text('hello ada')]);
    expect(calls()).toEqual([{ owner: false, capture: 'run-1', args: { who: 'ada' } }]);
    expect((seen[0]?.context as LoopbackRequestContext).signal).toBeInstanceOf(AbortSignal);
    const owner = await agent(true);
    expect((await owner.getPrompt({ name: 'secret' })).messages).toEqual([text('owner eyes only')]);
  });

  it('refuses an owner-only prompt to a non-owner exactly as an unknown one (-32602)', async () => {
    const hidden = await refused(
      (await agent(false)).getPrompt({ name: 'secret' }),
      -32602,
      'prompt "secret" not found',
    );
    const unregistered = await agent(false, catalog({ ownerOnly: false }));
    expect(await refusal(unregistered.getPrompt({ name: 'secret' }))).toEqual(hidden);
  });

  it('refuses a missing required argument with -32602 naming it', async () => {
    const client = await agent(true);
    await refused(
      client.getPrompt({ name: 'greet', arguments: { tone: 'warm' } }),
      -32602,
      'prompt "greet" needs the required argument "who"',
    );
  });

  it('refuses arguments that are not a map of names to strings with -32602', async () => {
    const client = await agent(true);
    for (const args of [{ who: 7 }, ['ada'], 'who=ada']) {
      const request = { method: 'prompts/get', params: { name: 'greet', arguments: args } };
      await refused(
        client.request(request, GetPromptResultSchema),
        -32602,
        '"arguments" (if any) mapping names to strings',
      );
    }
    expect(seen).toEqual([]);
  });

  it("answers a throwing get with -32603 carrying the host's message but not its stack", async () => {
    const answer = await refused(
      (await agent(true)).getPrompt({ name: 'broken' }),
      -32603,
      `the host's prompt "broken" failed: the database is down`,
    );
    expect(answer.message).not.toMatch(/\n|catalogSupport/);
  });

  it("answers an invalid result of get with -32603 saying the host's prompt returned it", async () => {
    await refused(
      (await agent(true)).getPrompt({ name: 'sloppy' }),
      -32603,
      `the host's prompt "sloppy" returned an invalid result: messages.0`,
    );
  });
});

describe('serveCatalog: resources', () => {
  it('lists resources and templates, owner-only ones to the owner only', async () => {
    const owner = await agent(true);
    const other = await agent(false);
    const uris = async (client: typeof owner) =>
      (await client.listResources()).resources.map((resource) => resource.uri);
    expect(await uris(owner)).toEqual([
      'file:///readme',
      'file:///vault',
      'file:///broken',
      'file:///sloppy',
    ]);
    expect(await uris(other)).toEqual(['file:///readme', 'file:///broken', 'file:///sloppy']);
    expect((await other.listResources()).resources[0]).toEqual({
      uri: 'file:///readme',
      name: 'readme',
      mimeType: 'text/plain',
    });
    expect((await owner.listResourceTemplates()).resourceTemplates).toEqual([
      { uriTemplate: 'file:///logs/{day}', name: 'logs' },
      { uriTemplate: 'file:///keys/{id}', name: 'keys' },
    ]);
    expect((await other.listResourceTemplates()).resourceTemplates).toEqual([
      { uriTemplate: 'file:///logs/{day}', name: 'logs' },
    ]);
  });

  it("reads a fixed resource with the caller's request context", async () => {
    const result = await (await agent(false)).readResource({ uri: 'file:///readme' });
    expect(result).toEqual(contents('file:///readme', 'read me'));
    expect(calls()).toEqual([{ owner: false, capture: 'run-1', args: undefined }]);
  });

  it('reads through a template, giving the host the variables of the URI', async () => {
    const result = await (await agent(false)).readResource({ uri: 'file:///logs/monday' });
    expect(result).toEqual(contents('file:///logs/monday', 'log of monday'));
    expect(calls()).toEqual([{ owner: false, capture: 'run-1', args: { day: 'monday' } }]);
  });

  it('refuses an unknown URI with -32002 "Resource not found" and the URI in data', async () => {
    const client = await agent(true);
    const answer = await refused(
      client.readResource({ uri: 'file:///nowhere' }),
      -32002,
      'Resource not found',
    );
    expect(answer.data).toEqual({ uri: 'file:///nowhere' });
  });

  it('refuses owner-only resources and templates to a non-owner exactly as unknown URIs', async () => {
    const other = await agent(false);
    const unregistered = await agent(false, catalog({ ownerOnly: false }));
    for (const uri of ['file:///vault', 'file:///keys/7']) {
      const hidden = await refused(other.readResource({ uri }), -32002, 'Resource not found');
      expect(hidden.data).toEqual({ uri });
      expect(await refusal(unregistered.readResource({ uri }))).toEqual(hidden);
    }
    const owner = await agent(true);
    expect(await owner.readResource({ uri: 'file:///keys/7' })).toEqual(
      contents('file:///keys/7', 'key'),
    );
  });

  it('refuses a uri that is not a string with -32602', async () => {
    const client = await agent(true);
    for (const params of [{ uri: 42 }, {}]) {
      const request = { method: 'resources/read', params };
      await refused(
        client.request(request, ReadResourceResultSchema),
        -32602,
        'resources/read needs a string "uri"',
      );
    }
  });

  it('answers a failing read with -32603, and an invalid result with -32603 saying so', async () => {
    const client = await agent(true);
    await refused(
      client.readResource({ uri: 'file:///broken' }),
      -32603,
      `the host's resource "file:///broken" failed: disk gone`,
    );
    await refused(
      client.readResource({ uri: 'file:///sloppy' }),
      -32603,
      `the host's resource "file:///sloppy" returned an invalid result: contents`,
    );
  });
});

describe('serveCatalog: capabilities', () => {
  it('declares what it serves, keeping the flags the server already had', async () => {
    const client = await agent(true);
    const { prompts, resources, completions } = client.getServerCapabilities() ?? {};
    expect({ prompts, resources, completions }).toEqual({
      prompts: { listChanged: true },
      resources: {},
      completions: {},
    });
  });

  it('serves only the registries it is given', async () => {
    const client = await agent(true, { prompts: catalog().prompts });
    expect(client.getServerCapabilities()?.resources).toBeUndefined();
    await refused(client.readResource({ uri: 'file:///readme' }), -32601, 'Method not found');
    expect((await client.listPrompts()).prompts).toHaveLength(5);
  });
});
