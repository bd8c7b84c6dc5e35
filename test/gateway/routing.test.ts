// How the gateway routes what an agent sends while a server is slow or sends garbage: each
// regression here was seen in review, with the scenario that showed it.
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it, onTestFinished } from 'vitest';

import { MASK } from '../../src/events/maskSecrets.js';
import { createMemoryStore, createTracker } from '../../src/index.js';
import {
  createGateway,
  GatewayError,
  gatewayServers,
  parseMcpServers,
} from '../../src/mcp/index.js';
import { VirtualClock } from '../mcp/support.js';
import { agentTransport } from '../proxy/support.js';
import {
  callText,
  connectAgent,
  fixture,
  named,
  startGateway,
  stderrOf,
  tempDir,
} from './support.js';

/** A named server that serves only once `go` exists, and the file to write for it. */
function heldServer(label: string, ...tools: string[]) {
  const go = join(tempDir('hold'), 'go');
  return {
    upstream: { ...named(label, ...tools), env: { NAMED_HOLD: go } },
    release: () => writeFileSync(go, ''),
  };
}

const PATIENT = { timeout: 60 * 60_000 };

describe('gateway routing', { timeout: 60_000 }, () => {
  it('Seen: the first call to a server slower to start than listWaitMs was refused as "Tool not found"', async () => {
    const clock = new VirtualClock();
    const slow = heldServer('slow', 'z');
    const { gateway } = await startGateway({
      servers: { slow: slow.upstream },
      scheduler: clock,
      listWaitMs: 2_000,
    });
    const said = stderrOf(gateway);
    const agent = await connectAgent(gateway);
    // Called by name at once, never listed: the name is the slow server's.
    const call = callText(agent, 'slow__z');
    await expect.poll(() => said('slow', /held$/), { timeout: 30_000 }).toBe(2);
    clock.advance(2_000);
    slow.release();
    expect(await call).toEqual({ text: 'slow:z', isError: false });
  });

  it('Seen: a cancel that came while the call waited for its server was lost, and the call ran', async () => {
    const clock = new VirtualClock();
    const slow = heldServer('slow', 'z');
    const { gateway, events } = await startGateway({
      servers: { slow: slow.upstream },
      scheduler: clock,
    });
    const said = stderrOf(gateway);
    const agent = await connectAgent(gateway);
    const controller = new AbortController();
    const call = agent
      .callTool({ name: 'slow__z', arguments: {} }, undefined, {
        ...PATIENT,
        signal: controller.signal,
      })
      .catch((error: unknown) => error);
    await expect.poll(() => said('slow', /held$/), { timeout: 30_000 }).toBe(2);
    controller.abort('the agent changed its mind');
    await call;
    // The gateway took the cancel (its own POST, finished) before the server could take the call.
    const cancelTaken = () => {
      const classified = events().find(
        (e) => e.type === 'request.classified' && e.data.method === 'notifications/cancelled',
      );
      return events().some((e) => e.type === 'request.finished' && e.id === classified?.id);
    };
    await expect.poll(cancelTaken, { timeout: 30_000 }).toBe(true);
    // Ended at once, while the server is still held: the wait for its list ends with the cancel.
    const outcome = () =>
      events().find((e) => e.type === 'toolCall.result' && e.data.outcome !== undefined);
    await expect.poll(outcome, { timeout: 30_000 }).toBeDefined();
    expect(outcome()).toMatchObject({ data: { outcome: 'cancelled' } });
    expect(events().some((e) => e.type === 'toolCall.prepared')).toBe(false);
    slow.release();
    // The server lists (its own session and the agent's), and is never asked to run the call.
    await expect.poll(() => said('slow', /listed$/), { timeout: 30_000 }).toBe(2);
    expect(said('slow', /called/)).toBe(0);
  });

  it("Seen: one server's prompt list of garbage failed prompts/list and prompts/get for every server", async () => {
    const { gateway } = await startGateway({
      servers: {
        bad: { ...named('bad', 't'), env: { NAMED_PROMPTS: 'garbage' } },
        good: { ...named('good', 'u'), env: { NAMED_PROMPTS: 'good' } },
      },
    });
    const agent = await connectAgent(gateway);
    const prompts = (await agent.listPrompts()).prompts.map((prompt) => prompt.name).sort();
    // The one real prompt of the bad server stays; what is no prompt is left out.
    expect(prompts).toEqual(['bad__hello', 'good__hello']);
    const prompt = await agent.getPrompt({ name: 'good__hello' });
    expect(prompt.messages[0]?.content).toEqual({ type: 'text', text: 'hello from good' });
  });

  it('Seen: a gateway that could not listen left the process of a server with an outbox running', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => taken.close(() => resolve())));
    const address = taken.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const store = createMemoryStore();
    const tracker = createTracker({ store });
    const failed = await createGateway({
      tracker,
      port,
      servers: {
        kept: { upstream: fixture(), outbox: { path: join(tempDir('outbox'), 'outbox.sqlite') } },
      },
    }).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(GatewayError);
    expect(failed).toMatchObject({ code: 'listen_failed' });
    // Its link was closed with the failed start: no process, no retry timer is left behind.
    const states = [...store.read()].flatMap((e) =>
      e.type === 'upstream.changed' && e.data.stderr === undefined ? [e.data.state] : [],
    );
    expect(states.at(-1)).toBe('closed');
  });

  it('Seen: a log level set before the session used a server never reached that server', async () => {
    const { gateway } = await startGateway({ servers: { one: named('one', 'a') } });
    const said = stderrOf(gateway);
    const agent = await connectAgent(gateway);
    await agent.setLoggingLevel('debug');
    // The first use of the server opens its part: the level goes with it.
    expect(await callText(agent, 'one__a')).toEqual({ text: 'one:a', isError: false });
    await expect.poll(() => said('one', /level debug$/), { timeout: 30_000 }).toBe(1);
  });

  it("Seen: a question a server's child asked stayed open after that child exited", async () => {
    const asked = join(tempDir('asked'), 'asked');
    const { gateway, events } = await startGateway({
      servers: { one: { ...named('one', 'ask_and_die'), env: { NAMED_ASKED: asked } } },
    });
    const agent = new Client(
      { name: 'agent', version: '1.0.0' },
      { capabilities: { elicitation: {} } },
    );
    // The agent has the question and is slow to answer: the child is gone first.
    agent.setRequestHandler(ElicitRequestSchema, () => {
      writeFileSync(asked, '');
      return new Promise<never>(() => undefined);
    });
    await agent.connect(agentTransport(gateway.url, gateway.credential({ capture: 'run-1' })));
    onTestFinished(() => agent.close());
    const call = agent
      .callTool({ name: 'one__ask_and_die', arguments: {} })
      .catch((e: unknown) => e);
    expect(String(await call)).toMatch(/exit code 9/);
    const answered = () =>
      events().find((e) => e.type === 'agent.answered' && e.data.method === 'elicitation/create');
    await expect.poll(answered, { timeout: 30_000 }).toBeDefined();
    expect(answered()).toMatchObject({
      data: { error: expect.stringMatching(/exit code 9/) as unknown },
    });
  });

  it('Seen: a name the agent was shown moved to another server once a slower one listed', async () => {
    const clock = new VirtualClock();
    const slow = heldServer('a', 'search');
    const { gateway } = await startGateway({
      // Both keep their own names: `a` sorts first, so once it lists, `search` is its.
      servers: {
        a: { upstream: slow.upstream, prefix: '' },
        b: { upstream: named('b', 'search'), prefix: '' },
      },
      scheduler: clock,
      listWaitMs: 2_000,
    });
    const said = stderrOf(gateway);
    const agent = await connectAgent(gateway);
    const listing = agent.listTools(undefined, PATIENT);
    await expect.poll(() => said('b', /listed$/), { timeout: 30_000 }).toBe(2);
    await expect.poll(() => said('a', /held$/), { timeout: 30_000 }).toBe(2);
    clock.advance(2_000);
    expect((await listing).tools.map((tool) => tool.name)).toEqual(['search']);
    slow.release();
    await expect.poll(() => said('a', /listed$/), { timeout: 30_000 }).toBe(2);
    // Not listed again: `search` is still the tool the agent was shown, b's.
    expect(await callText(agent, 'search')).toEqual({ text: 'b:search', isError: false });
    // Listed again, the names are the new ones.
    expect((await agent.listTools()).tools.map((tool) => tool.name).sort()).toEqual([
      'search',
      'search-2',
    ]);
    expect(await callText(agent, 'search')).toEqual({ text: 'a:search', isError: false });
    expect(await callText(agent, 'search-2')).toEqual({ text: 'b:search', isError: false });
  });

  it("Seen: a ${VAR} value passed as an argument was printed and recorded in the child's stderr", async () => {
    const config = parseMcpServers({
      mcpServers: {
        leaky: {
          command: process.execPath,
          args: [
            '-e',
            'console.error("key is " + process.argv[1]); process.exit(3)',
            '${LEAKY_KEY}',
          ],
        },
      },
    });
    const secret = 'hunter2-prod-password-xyz';
    const { gateway, events } = await startGateway({
      servers: gatewayServers(config, { ...process.env, LEAKY_KEY: secret }),
    });
    const agent = await connectAgent(gateway);
    await agent.listTools();
    const said = () =>
      events().filter(
        (e) => e.type === 'upstream.changed' && JSON.stringify(e.data).includes('key is'),
      );
    await expect.poll(() => said().length, { timeout: 30_000 }).toBeGreaterThan(0);
    expect(JSON.stringify(events())).not.toContain(secret);
    expect(JSON.stringify(said())).toContain(`key is ${MASK}`);
  });

  it('Seen: the inventory called a kept catalog stale while the gateway served it to agents', async () => {
    const outbox = { path: join(tempDir('kept'), 'outbox.sqlite') };
    const tracker = createTracker({ store: createMemoryStore() });
    tracker.beginCapture('run-1');
    const first = await createGateway({
      tracker,
      servers: { fx: { upstream: fixture(), outbox } },
    });
    await expect.poll(() => first.inventory().tools.length, { timeout: 30_000 }).toBeGreaterThan(0);
    await first.close();

    // The next run: the server cannot start, and serves what the outbox kept.
    const second = await createGateway({
      tracker,
      servers: { fx: { upstream: fixture('--boom'), outbox } },
    });
    onTestFinished(() => second.close());
    const agent = await connectAgent(second);
    const served = (await agent.listTools()).tools.map((tool) => tool.name).sort();
    expect(served).toContain('fx__echo');
    const inventory = second.inventory();
    expect(inventory.servers[0]).toMatchObject({ server: 'fx', kept: true });
    expect(inventory.servers[0]?.notice).toBeUndefined();
    expect(inventory.tools.map((tool) => tool.name).sort()).toEqual(served);
  });
});
