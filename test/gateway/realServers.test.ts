// Real servers from the registry behind one gateway: server-everything, server-memory and
// server-filesystem over stdio, and fixtures whose names collide, each agent seeing every
// server's tools under `<server>__<tool>`, its calls routed to the server that listed it.
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it, onTestFinished } from 'vitest';

import { hideTools } from '../../src/mcp/index.js';
import {
  callText,
  connectAgent,
  everything,
  filesystem,
  memory,
  named,
  startGateway,
  toolsOnceListed,
} from './support.js';
import { startHttpEverything } from '../support/serverEverything.js';

// Several real children start per agent: allow for a loaded machine.
describe('a gateway in front of real registry servers', { timeout: 60_000 }, () => {
  it('lists every server under its name and routes each call to the server that listed it', async () => {
    const files = filesystem();
    const { gateway, events } = await startGateway({
      servers: { everything: everything(), memory: memory(), files: files.upstream },
    });
    const agent = await connectAgent(gateway);
    const listed = await toolsOnceListed(gateway, agent);
    expect(listed).toContain('everything__echo');
    expect(listed).toContain('memory__create_entities');
    expect(listed).toContain('files__read_text_file');
    expect(listed.every((name) => /^[A-Za-z0-9_.-]{1,128}$/.test(name))).toBe(true);

    expect(await callText(agent, 'everything__echo', { message: 'hi' })).toEqual({
      text: 'Echo: hi',
      isError: false,
    });
    const read = await callText(agent, 'files__read_text_file', {
      path: join(files.dir, 'hello.txt'),
    });
    expect(read).toEqual({
      text: readFileSync(join(files.dir, 'hello.txt'), 'utf8'),
      isError: false,
    });
    const created = await callText(agent, 'memory__create_entities', {
      entities: [{ name: 'gateway', entityType: 'test', observations: ['routes calls'] }],
    });
    expect(created.isError).toBe(false);
    const graph = await callText(agent, 'memory__read_graph');
    expect(graph.text).toContain('routes calls');

    // Tracked under the name the agent called, each with its outcome.
    const results = events().filter((e) => e.type === 'toolCall.started');
    expect(results.map((e) => e.type === 'toolCall.started' && e.data.toolName)).toEqual([
      'everything__echo',
      'files__read_text_file',
      'memory__create_entities',
      'memory__read_graph',
    ]);
  });

  it('gives colliding names deterministic suffixes and never a reserved name', async () => {
    const { gateway } = await startGateway({
      servers: {
        every: named('every', 'thing__echo', 'read file', 'read_file'),
        every__thing: named('every__thing', 'echo'),
        memory: memory(),
      },
      reserved: ['memory__read_graph'],
    });
    const agent = await connectAgent(gateway);
    const listed = await toolsOnceListed(gateway, agent);
    expect(listed).toEqual(
      expect.arrayContaining([
        'every__thing__echo',
        'every__thing__echo-2',
        'every__read_file',
        'every__read_file-2',
        'memory__read_graph-2',
      ]),
    );
    expect(listed).not.toContain('memory__read_graph');
    // `every` sorts before `every__thing`: its tool keeps the plain name, whatever the order.
    expect(await callText(agent, 'every__thing__echo')).toEqual({
      text: 'every:thing__echo',
      isError: false,
    });
    expect(await callText(agent, 'every__thing__echo-2')).toEqual({
      text: 'every__thing:echo',
      isError: false,
    });
    // The unsanitized form keeps the plain name: `read_file` is already safe.
    expect(await callText(agent, 'every__read_file')).toEqual({
      text: 'every:read_file',
      isError: false,
    });
    expect(await callText(agent, 'every__read_file-2')).toEqual({
      text: 'every:read file',
      isError: false,
    });
  });

  it("collides a fixture's names with server-everything's, suffixed the same in any order", async () => {
    // A fixture that keeps its own names (prefix '') and lists one server-everything has.
    const servers = {
      everything: everything(),
      clash: { upstream: named('clash', 'everything__echo'), prefix: '' },
    };
    const listings: string[][] = [];
    for (const order of [servers, { clash: servers.clash, everything: servers.everything }]) {
      const { gateway } = await startGateway({ servers: order });
      const agent = await connectAgent(gateway);
      const listed = await toolsOnceListed(gateway, agent);
      listings.push(listed);
      // `clash` sorts first and its own name is that: it keeps it; server-everything's is -2.
      expect(await callText(agent, 'everything__echo')).toEqual({
        text: 'clash:everything__echo',
        isError: false,
      });
      expect(await callText(agent, 'everything__echo-2', { message: 'real' })).toEqual({
        text: 'Echo: real',
        isError: false,
      });
      await gateway.close();
    }
    expect(listings[0]).toEqual(listings[1]);
  });

  it('narrows each agent by its own capture, and blocks a hidden tool at tools/call', async () => {
    const { gateway, tracker, events } = await startGateway<string>({
      servers: { everything: everything(), memory: memory() },
      narrow: (tools, context) =>
        context === 'reader' ? hideTools(['*__create_*', '*__delete_*'])(tools, context) : tools,
    });
    tracker.beginCapture('run-2');
    gateway.setContext('reader', { capture: 'run-2' });
    const writer = await connectAgent(gateway, 'run-1');
    const reader = await connectAgent(gateway, 'run-2');
    const writerTools = await toolsOnceListed(gateway, writer);
    const readerTools = await toolsOnceListed(gateway, reader);
    expect(writerTools).toContain('memory__create_entities');
    expect(readerTools).not.toContain('memory__create_entities');
    expect(readerTools).toContain('memory__read_graph');

    const blocked = await callText(reader, 'memory__create_entities', { entities: [] });
    expect(blocked).toEqual({
      text: 'MCP error -32602: Tool memory__create_entities not found',
      isError: true,
    });
    const outcomes = events().flatMap((e) =>
      e.type === 'toolCall.result' ? [[e.capture, e.data.outcome, e.data.reason]] : [],
    );
    expect(outcomes).toEqual([
      ['run-2', 'blocked', 'the tool is hidden from this agent (narrowing)'],
    ]);
  });
});

describe(
  'a gateway in front of server-everything over Streamable HTTP',
  { timeout: 60_000 },
  () => {
    it('serves its tools, prompts and resources beside a stdio server, each agent in its own upstream session', async () => {
      const server = await startHttpEverything();
      onTestFinished(async () => {
        const exited = once(server.child, 'exit');
        server.child.kill();
        await exited;
      });
      const { gateway } = await startGateway({
        servers: { web: { url: server.url }, memory: memory() },
      });
      const first = await connectAgent(gateway, 'run-1', 'first');
      const second = await connectAgent(gateway, 'run-1', 'second');
      const listed = await toolsOnceListed(gateway, first);
      expect(listed).toContain('web__echo');
      expect(listed).toContain('memory__read_graph');
      expect(await callText(second, 'web__echo', { message: 'over http' })).toEqual({
        text: 'Echo: over http',
        isError: false,
      });
      const prompts = (await first.listPrompts()).prompts.map((p) => p.name);
      expect(prompts).toContain('web__simple-prompt');
      const prompt = await first.getPrompt({ name: 'web__simple-prompt' });
      expect(prompt.messages.length).toBeGreaterThan(0);
      const resources = (await first.listResources()).resources;
      const resource = resources[0]!;
      expect(resource._meta).toMatchObject({ 'dev.toolflight/server': 'web' });
      const read = await first.readResource({ uri: resource.uri });
      expect(read.contents[0]?.uri).toBe(resource.uri);
    });
  },
);
