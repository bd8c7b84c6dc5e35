import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import {
  CallToolResultSchema,
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  LATEST_PROTOCOL_VERSION,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema,
  type ClientCapabilities,
} from '@modelcontextprotocol/sdk/types.js';
import fc from 'fast-check';
import { VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';

import { hideTools, type ProxyOptions } from '../../src/mcp/index.js';
import {
  OLD_PROTOCOL,
  SAMPLING_TOOL,
  startSessionUpstream,
} from '../fixtures/proxy/sessionUpstream.js';
import { readEvents } from '../mcp/support.js';
import {
  agentTransport,
  INITIALIZE_BODY,
  onCleanup,
  rawSession,
  startProxy,
  stdioUpstream,
} from './support.js';

async function sessionUpstream() {
  const upstream = await startSessionUpstream();
  onCleanup(() => upstream.stop());
  return upstream;
}

/** What one agent received, by kind, as the texts the fixture put in them. */
interface Heard {
  readonly logs: string[];
  readonly updated: string[];
  readonly listChanged: number[];
}

/** An SDK agent through the proxy that records every notification it gets. */
async function agent(
  proxy: { url: string; credential: (o: { capture: string }) => string },
  name: string,
  options: { capture?: string; capabilities?: ClientCapabilities } = {},
) {
  const client = new Client({ name, version: '1.0.0' }, { capabilities: options.capabilities });
  const heard: Heard = { logs: [], updated: [], listChanged: [] };
  const fences = new Map<string, () => void>();
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
    const data = String(n.params.data);
    heard.logs.push(data);
    fences.get(data)?.();
  });
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
    heard.updated.push(n.params.uri);
  });
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
    heard.listChanged.push(heard.logs.length);
  });
  const transport = agentTransport(
    proxy.url,
    proxy.credential({ capture: options.capture ?? 'run-1' }),
  );
  await client.connect(transport);
  onCleanup(() => client.close());
  const call = async (tool: string, tag = name) => {
    const result = CallToolResultSchema.parse(
      await client.callTool({ name: tool, arguments: { tag } }),
    );
    const first = result.content[0];
    return first?.type === 'text' ? first.text : undefined;
  };
  return {
    client,
    transport,
    heard,
    call,
    /**
     * Everything the upstream sent this agent's GET stream before now has arrived: the fixture
     * logs a fence there (unrelated to any call), and one stream delivers in order.
     */
    async fence(tag = `${name}-${heard.logs.length}`) {
      const arrived = new Promise<void>((resolve) => fences.set(`fence ${tag}`, resolve));
      await call('fence', tag);
      await arrived;
    },
  };
}

describe('proxy: one session per agent (issue 13)', () => {
  it('answers initialize with a session id of its own for each agent, and an upstream session each with the agent’s own hello', async () => {
    const upstream = await sessionUpstream();
    const h = await startProxy({ upstream: { url: upstream.url } });
    const a = await agent(h.proxy, 'agent-a', { capabilities: { elicitation: {} } });
    const b = await agent(h.proxy, 'agent-b');
    expect(a.transport.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(b.transport.sessionId).not.toBe(a.transport.sessionId);
    expect(h.proxy.sessions()).toBe(2);

    const whoA = JSON.parse((await a.call('whoami'))!) as Record<string, unknown>;
    const whoB = JSON.parse((await b.call('whoami'))!) as Record<string, unknown>;
    // The upstream learns what the agent declared, never more.
    expect(whoA).toMatchObject({ clientInfo: { name: 'agent-a', version: '1.0.0' } });
    expect(Object.keys(whoA.capabilities as object)).toEqual(['elicitation']);
    expect(whoB).toEqual({ clientInfo: { name: 'agent-b', version: '1.0.0' }, capabilities: {} });
    // The proxy's own session (catalog) and one per agent.
    expect(upstream.opened()).toBe(3);
  });

  it('ends a session on DELETE with its upstream session, and answers 404 for it afterwards', async () => {
    const upstream = await sessionUpstream();
    const h = await startProxy({ upstream: { url: upstream.url } });
    const headers = await rawSession(h.proxy as never);
    await expect.poll(() => upstream.opened()).toBe(2);
    const ended = await fetch(h.proxy.url, { method: 'DELETE', headers });
    expect(ended.status).toBe(200);
    await expect.poll(() => upstream.closed()).toBe(1);
    expect(h.proxy.sessions()).toBe(0);
    const after = await fetch(h.proxy.url, {
      method: 'POST',
      headers,
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(after.status).toBe(404);
    expect(await after.json()).toMatchObject({ error: { code: -32001 } });
  });

  it('Seen: an agent that asked an unsupported protocol version was answered the proxy’s own handshake’s; it gets its session’s', async () => {
    const upstream = await sessionUpstream();
    const h = await startProxy({ upstream: { url: upstream.url } });
    // The proxy's own session is up, on the latest version.
    await h.proxy.refreshTools();
    const initialize = (name: string) =>
      fetch(h.proxy.url, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${h.proxy.credential({ capture: 'run-1' })}`,
          'Content-Type': 'application/json',
          Accept: 'application/json, text/event-stream',
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 0,
          method: 'initialize',
          params: {
            protocolVersion: '1999-01-01',
            capabilities: {},
            clientInfo: { name, version: '1' },
          },
        }),
      }).then((response) => response.json() as Promise<{ result: { protocolVersion: string } }>);
    expect((await initialize('old-protocol-agent')).result.protocolVersion).toBe(OLD_PROTOCOL);
    expect((await initialize('new-agent')).result.protocolVersion).toBe(LATEST_PROTOCOL_VERSION);
  });

  it('Seen: a DELETE with an unsupported MCP-Protocol-Version ended the session; it gets the SDK’s 400 and the session stays', async () => {
    const upstream = await sessionUpstream();
    const h = await startProxy({ upstream: { url: upstream.url } });
    const headers = await rawSession(h.proxy as never);
    const unsupported = { ...headers, 'MCP-Protocol-Version': '1999-01-01' };
    const refused = await fetch(h.proxy.url, { method: 'DELETE', headers: unsupported });
    // What an SDK server answers the same DELETE in a session of its own.
    const opened = await fetch(upstream.url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: headers.Accept! },
      body: INITIALIZE_BODY,
    });
    await opened.text();
    const sdk = await fetch(upstream.url, {
      method: 'DELETE',
      headers: {
        'Mcp-Session-Id': opened.headers.get('mcp-session-id')!,
        'MCP-Protocol-Version': '1999-01-01',
      },
    });
    expect(sdk.status).toBe(400);
    expect(refused.status).toBe(sdk.status);
    expect(await refused.json()).toEqual(await sdk.json());
    expect(h.proxy.sessions()).toBe(1);
    const list = await fetch(h.proxy.url, {
      method: 'POST',
      headers,
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(list.status).toBe(200);
  });

  it('Seen: a call in flight when the agent DELETEd its session ended unknown and reached the unreachable seam; it is cancelled, and the upstream told', async () => {
    const upstream = await sessionUpstream();
    const seam: string[] = [];
    const h = await startProxy({
      upstream: { url: upstream.url },
      onUnreachable: ({ toolName }) => {
        seam.push(toolName);
        return { content: [{ type: 'text', text: 'queued' }] };
      },
    });
    const headers = await rawSession(h.proxy as never);
    const started = upstream.hangStarted();
    const cancelled = upstream.hangCancelled();
    const call = fetch(h.proxy.url, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 7,
        method: 'tools/call',
        params: { name: 'hang', arguments: {} },
      }),
    });
    await started;
    const ended = await fetch(h.proxy.url, { method: 'DELETE', headers });
    expect(ended.status).toBe(200);
    expect(await cancelled).toBe('the agent ended the session');
    expect(await (await call).json()).toMatchObject({ id: 7, error: { code: -32800 } });
    expect(seam).toEqual([]);
    const results = h.events().filter((event) => event.type === 'toolCall.result');
    expect(results.map((event) => event.data.outcome)).toEqual(['cancelled']);
  });

  it('refuses a request without a session id (400), and one with the session id of another capture (404)', async () => {
    const upstream = await sessionUpstream();
    const h = await startProxy({ upstream: { url: upstream.url } });
    h.tracker.beginCapture('run-2');
    const headers = await rawSession(h.proxy as never);
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    const { 'Mcp-Session-Id': id, ...without } = headers;
    const missing = await fetch(h.proxy.url, { method: 'POST', headers: without, body });
    expect(missing.status).toBe(400);
    const other = {
      ...without,
      Authorization: `Bearer ${h.proxy.credential({ capture: 'run-2' })}`,
      'Mcp-Session-Id': id!,
    };
    const stolen = await fetch(h.proxy.url, { method: 'POST', headers: other, body });
    expect(stolen.status).toBe(404);
    const own = await fetch(h.proxy.url, { method: 'POST', headers, body });
    expect(own.status).toBe(200);
    // A second initialize in the session is refused as the spec says, and opens nothing.
    const again = await fetch(h.proxy.url, { method: 'POST', headers, body: INITIALIZE_BODY });
    expect(again.status).toBe(400);
    expect(await again.json()).toMatchObject({ error: { code: -32600 } });
    expect(h.proxy.sessions()).toBe(1);
  });

  it('Seen: a DELETE named a cleared capture’s session and got 404 where GET and POST got 409; every method now answers for the capture first', async () => {
    const upstream = await sessionUpstream();
    const h = await startProxy({ upstream: { url: upstream.url } });
    const headers = await rawSession(h.proxy as never);
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    const each = () =>
      Promise.all([
        fetch(h.proxy.url, { headers: { ...headers, Accept: 'text/event-stream' } }),
        fetch(h.proxy.url, { method: 'POST', headers, body }),
        fetch(h.proxy.url, { method: 'DELETE', headers }),
      ]);
    h.tracker.clearCapture('run-1');
    const refused = await each();
    expect(refused.map((response) => response.status)).toEqual([409, 409, 409]);
    const messages = await Promise.all(
      refused.map(async (response) => (await response.json()) as { error: { message: string } }),
    );
    expect(new Set(messages.map((m) => m.error.message)).size).toBe(1);
    expect(messages[0]!.error.message).toMatch(/^Conflict: capture "run-1" is not live/);
    // Begun again, the capture is live: the old session id is unknown, and says so (404).
    h.tracker.beginCapture('run-1');
    const unknown = await each();
    expect(unknown.map((response) => response.status)).toEqual([404, 404, 404]);
    await Promise.all(unknown.map((response) => response.text()));
  });

  it('Seen: a malformed initialize got the SDK’s 400 “Server not initialized” after a session was opened for it with made-up defaults; it gets -32602 saying which param, and opens none', async () => {
    const upstream = await sessionUpstream();
    const h = await startProxy({ upstream: { url: upstream.url } });
    await h.proxy.refreshTools();
    const opened = upstream.opened();
    const valid = {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 'raw-agent', version: '1' },
    };
    const malformed = [
      [{ ...valid, clientInfo: undefined }, /\(clientInfo: /],
      [{ ...valid, capabilities: 'all' }, /\(capabilities: /],
      [{ ...valid, protocolVersion: 20250618 }, /\(protocolVersion: /],
    ] as const;
    for (const [params, names] of malformed) {
      const response = await fetch(h.proxy.url, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${h.proxy.credential({ capture: 'run-1' })}`,
          'Content-Type': 'application/json',
          Accept: 'application/json, text/event-stream',
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params }),
      });
      expect(response.headers.get('mcp-session-id')).toBeNull();
      const answer = (await response.json()) as {
        id: number;
        error: { code: number; message: string };
      };
      expect(answer).toMatchObject({ id: 0, error: { code: -32602 } });
      expect(answer.error.message).toMatch(/^Invalid params: initialize needs /);
      // Which param is wrong, in the schema's words.
      expect(answer.error.message).toMatch(names);
    }
    expect(h.proxy.sessions()).toBe(0);
    expect(upstream.opened()).toBe(opened);
  });

  it('ends a session idle for sessionIdleMs of its scheduler, not a tick before', async () => {
    const upstream = await sessionUpstream();
    const clock = new VirtualTimeScheduler();
    const h = await startProxy({
      upstream: { url: upstream.url },
      scheduler: clock,
      sessionIdleMs: 1000,
    });
    const headers = await rawSession(h.proxy as never);
    const list = () =>
      fetch(h.proxy.url, {
        method: 'POST',
        headers,
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      });
    clock.maxFrames = 999;
    clock.flush();
    expect((await list()).status).toBe(200);
    // The request started the wait over: 999 ms later it is still there.
    clock.maxFrames = clock.frame + 999;
    clock.flush();
    expect(h.proxy.sessions()).toBe(1);
    clock.maxFrames = Number.POSITIVE_INFINITY;
    clock.flush();
    expect(h.proxy.sessions()).toBe(0);
    expect((await list()).status).toBe(404);
    await expect.poll(() => upstream.closed()).toBe(1);
  });

  it('a cleared capture’s sessions lived on while their GET stream stayed open', async () => {
    const upstream = await sessionUpstream();
    const h = await startProxy({ upstream: { url: upstream.url } });
    h.tracker.beginCapture('run-2');
    const gone = await agent(h.proxy, 'gone');
    await agent(h.proxy, 'stays', { capture: 'run-2' });
    await expect.poll(() => h.proxy.openStreams()).toBe(2);
    const closedBefore = upstream.closed();
    h.tracker.clearCapture('run-1');
    await expect.poll(() => h.proxy.sessions()).toBe(1);
    await expect.poll(() => upstream.closed()).toBe(closedBefore + 1);
    await expect.poll(() => h.proxy.openStreams()).toBe(1);
    await expect(gone.call('whoami')).rejects.toThrow();
  });

  it('answers an initialize past limits.maxSessions with 503', async () => {
    const upstream = await sessionUpstream();
    const h = await startProxy({ upstream: { url: upstream.url }, limits: { maxSessions: 1 } });
    await rawSession(h.proxy as never);
    await expect(rawSession(h.proxy as never)).rejects.toThrow(/503/);
  });

  it('keeps one capture to limits.maxSessionsPerCapture, so that it cannot take every other agent’s sessions', async () => {
    const upstream = await sessionUpstream();
    const h = await startProxy({
      upstream: { url: upstream.url },
      limits: { maxSessionsPerCapture: 2 },
    });
    h.tracker.beginCapture('run-2');
    const first = await rawSession(h.proxy as never);
    await rawSession(h.proxy as never);
    await expect(rawSession(h.proxy as never)).rejects.toThrow(/503/);
    await expect(rawSession(h.proxy as never, 'run-2')).resolves.toBeDefined();
    // An ended session gives its place back.
    await fetch(h.proxy.url, { method: 'DELETE', headers: first });
    await expect(rawSession(h.proxy as never)).resolves.toBeDefined();
    await expect(
      startProxy({
        upstream: { url: upstream.url },
        limits: { maxSessions: 2, maxSessionsPerCapture: 3 },
      }),
    ).rejects.toThrow(/maxSessionsPerCapture \(3\) is above limits.maxSessions \(2\)/);
  });
});

describe('proxy: what one agent does reaches that agent only (issue 13)', () => {
  it('Seen: logging notifications of A’s call went to A’s and B’s GET streams, none in A’s POST answer', async () => {
    const upstream = await sessionUpstream();
    const h = await startProxy({ upstream: { url: upstream.url } });
    const a = await agent(h.proxy, 'a');
    const b = await agent(h.proxy, 'b');
    await a.call('log_during', 'a1');
    // Related to A's call: it reached A before the call's result did.
    expect(a.heard.logs).toEqual(['during a1']);
    await b.fence('b-fence');
    expect(b.heard.logs).toEqual(['fence b-fence']);
  });

  it('Seen: A’s resources/subscribe made B receive notifications/resources/updated', async () => {
    const upstream = await sessionUpstream();
    const h = await startProxy({ upstream: { url: upstream.url } });
    const a = await agent(h.proxy, 'a');
    const b = await agent(h.proxy, 'b');
    await a.client.subscribeResource({ uri: 'fixture://a' });
    await a.call('touch');
    await a.fence();
    await b.fence();
    expect(a.heard.updated).toEqual(['fixture://a']);
    expect(b.heard.updated).toEqual([]);
  });

  it(
    'keeps every agent’s messages to itself under random interleavings (property)',
    { timeout: 60_000 },
    async () => {
      const upstream = await sessionUpstream();
      const h = await startProxy({ upstream: { url: upstream.url } });
      const agents = await Promise.all(['p0', 'p1', 'p2'].map((name) => agent(h.proxy, name)));
      await Promise.all(
        agents.map((each) => each.client.subscribeResource({ uri: 'fixture://a' })),
      );
      const step = fc.record({
        who: fc.nat({ max: 2 }),
        tool: fc.constantFrom('log_during', 'fence', 'touch'),
      });
      let round = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (steps) => {
          round += 1;
          await Promise.all(
            steps.map(({ who, tool }, i) => agents[who]!.call(tool, `p${who}-${round}-${i}`)),
          );
          await Promise.all(agents.map((each, who) => each.fence(`p${who}-fence-${round}`)));
          agents.forEach((each, who) => {
            for (const log of each.heard.logs)
              expect(log).toMatch(new RegExp(`^(during|fence) p${who}-`));
          });
        }),
        { numRuns: 10 },
      );
    },
  );

  it('relays elicitation, sampling and roots requests to the agent whose call asked, with ids remapped', async () => {
    const upstream = await sessionUpstream();
    const h = await startProxy({ upstream: { url: upstream.url } });
    const a = await agent(h.proxy, 'a', {
      capabilities: { elicitation: {}, sampling: {}, roots: {} },
    });
    const asked: string[] = [];
    a.client.setRequestHandler(ElicitRequestSchema, (request) => {
      asked.push(request.params.message);
      return { action: 'accept', content: { name: 'agent a' } };
    });
    a.client.setRequestHandler(CreateMessageRequestSchema, () => ({
      role: 'assistant',
      model: 'test-model',
      content: { type: 'text', text: 'sampled' },
    }));
    a.client.setRequestHandler(ListRootsRequestSchema, () => ({
      roots: [{ uri: 'file:///work', name: 'work' }],
    }));
    const b = await agent(h.proxy, 'b');

    expect(JSON.parse((await a.call('ask'))!)).toEqual({
      action: 'accept',
      content: { name: 'agent a' },
    });
    expect(asked).toEqual(['who are you, a?']);
    // The call waited on the agent, visibly: asked, then answered, both naming the call.
    const relays = h
      .events()
      .filter((e) => e.type === 'agent.asked' || e.type === 'agent.answered');
    const call = h.events().find((e) => e.type === 'toolCall.started');
    expect(relays.map((e) => [e.type, e.capture, e.data])).toEqual([
      [
        'agent.asked',
        'run-1',
        { method: 'elicitation/create', relay: 'toolflight-relay-1', toolCall: call?.id },
      ],
      [
        'agent.answered',
        'run-1',
        { method: 'elicitation/create', relay: 'toolflight-relay-1', toolCall: call?.id },
      ],
    ]);
    expect(JSON.parse((await a.call('sample'))!)).toMatchObject({ model: 'test-model' });
    expect(JSON.parse((await a.call('roots'))!)).toEqual({
      roots: [{ uri: 'file:///work', name: 'work' }],
    });
    // B declared none of them: the question is refused for it, and nothing reaches A for B.
    await expect(b.call('ask')).rejects.toMatchObject({ code: -32601 });
    expect(asked).toEqual(['who are you, a?']);
  });
});

describe('proxy: a session’s failures stay in that session (issue 13)', () => {
  it('one agent’s hello the upstream turned down took every agent’s calls down with it', async () => {
    const upstream = await sessionUpstream();
    const h = await startProxy({ upstream: { url: upstream.url } });
    await h.proxy.refreshTools();
    const refused = await agent(h.proxy, 'refused-agent');
    const failure = await refused.call('whoami').catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: -32002 });
    expect(String((failure as Error).message)).toContain('client not allowed');
    const other = await agent(h.proxy, 'other');
    expect(await other.call('log_during', 'fine')).toBe('logged fine');
    expect(
      h.notices.filter((n) => n.type === 'upstream.changed' && n.data.state === 'down'),
    ).toEqual([]);
    expect(h.proxy.upstreamState()).toBe('up');
  });

  it(
    'Seen: one session’s stdio child exiting set the whole proxy’s upstream state to exited; it ends that session only',
    { timeout: 30_000 },
    async () => {
      const warnings: string[] = [];
      const h = await startProxy({
        upstream: stdioUpstream(),
        logger: { warn: (message) => void warnings.push(message) },
      });
      const connect = async () => {
        const client = new Client({ name: 'stdio-agent', version: '1' });
        const transport = agentTransport(h.proxy.url, h.proxy.credential({ capture: 'run-1' }));
        await client.connect(transport);
        onCleanup(() => client.close());
        return { client, transport };
      };
      const counts = async (client: Client) =>
        JSON.parse(
          (
            (await client.callTool({ name: 'count', arguments: {} })).content as { text: string }[]
          )[0]!.text,
        ) as Record<string, number>;
      const a = await connect();
      const b = await connect();
      await a.client.callTool({ name: 'echo', arguments: { text: 'a' } });
      await b.client.callTool({ name: 'echo', arguments: { text: 'b' } });
      const states = h.notices.length;

      const failure = await a.client
        .callTool({ name: 'die', arguments: {} })
        .catch((error: unknown) => error);
      expect(failure).toMatchObject({ code: -32002, data: { outcome: 'unknown' } });
      expect((failure as Error).message).toContain('exit code 7');
      // The agent's next request finds no session: it initializes a new one.
      const after = await fetch(h.proxy.url, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${h.proxy.credential({ capture: 'run-1' })}`,
          'Content-Type': 'application/json',
          Accept: 'application/json, text/event-stream',
          'Mcp-Session-Id': a.transport.sessionId!,
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      });
      expect(after.status).toBe(404);
      expect(h.proxy.sessions()).toBe(1);
      expect(warnings.some((line) => line.includes('exit code 7'))).toBe(true);

      // The proxy's state and the other session's child are as they were.
      expect(h.proxy.upstreamState()).toBe('up');
      expect(
        h.notices.slice(states).filter((n) => n.type === 'upstream.changed' && !n.data.stderr),
      ).toEqual([]);
      expect(await counts(b.client)).toEqual({ echo: 1, count: 1 });
      const again = await connect();
      expect(await counts(again.client)).toEqual({ count: 1 });
    },
  );

  it('what the upstream sent before the agent’s first GET stream was kept and never delivered', async () => {
    const upstream = await sessionUpstream();
    const h = await startProxy({ upstream: { url: upstream.url } });
    await h.proxy.refreshTools();
    const headers = await rawSession(h.proxy as never);
    // The agent has no stream yet: the upstream's unrelated log line is kept for it.
    const called = await fetch(h.proxy.url, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'fence', arguments: { tag: 'early' } },
      }),
    });
    expect(await called.json()).toMatchObject({ result: { content: [{ text: 'fenced early' }] } });
    const stream = await fetch(h.proxy.url, {
      headers: { ...headers, Accept: 'text/event-stream' },
    });
    const [first] = await readEvents(stream, 1);
    expect(JSON.parse(first!.data)).toMatchObject({
      method: 'notifications/message',
      params: { data: 'fence early' },
    });
  });
});

describe('proxy: a question the upstream withdraws (issue 13)', () => {
  it('passed the upstream’s notifications/cancelled on under the upstream’s id, so the agent never stopped asking', async () => {
    const upstream = await sessionUpstream();
    const h = await startProxy({ upstream: { url: upstream.url } });
    const a = await agent(h.proxy, 'a', { capabilities: { elicitation: {} } });
    let asked!: () => void;
    const askedNow = new Promise<void>((resolve) => (asked = resolve));
    const withdrawn = new Promise<string>((resolve) => {
      a.client.setRequestHandler(ElicitRequestSchema, (_request, extra) => {
        asked();
        return new Promise((_, reject) => {
          extra.signal.addEventListener('abort', () => {
            resolve('aborted');
            reject(new Error('withdrawn'));
          });
        });
      });
    });
    const call = a.call('ask_cancel');
    await askedNow;
    await a.call('cancel_ask');
    await expect(withdrawn).resolves.toBe('aborted');
    expect(await call).toMatch(/^withdrawn/);
    const answered = h.events().filter((e) => e.type === 'agent.answered');
    expect(answered).toMatchObject([{ data: { error: 'cancelled by the upstream' } }]);
  });
});

describe('proxy: narrowing is enforced (issue 13)', () => {
  it('Seen: a tool hidden with hideTools was still called upstream; now it reads as an unknown tool', async () => {
    const upstream = await sessionUpstream();
    const h = await startProxy({
      upstream: { url: upstream.url },
      narrow: hideTools(['delete_*']),
    });
    const a = await agent(h.proxy, 'a');
    expect((await a.client.listTools()).tools.map((tool) => tool.name)).not.toContain('delete_all');
    const hidden = await a.client.callTool({ name: 'delete_all', arguments: {} });
    // What an SDK McpServer answers for a tool it does not have.
    const server = new McpServer({ name: 'reference', version: '1' });
    server.registerTool('present', {}, () => ({ content: [] }));
    const direct = new Client({ name: 'direct', version: '1' });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    await direct.connect(clientSide);
    onCleanup(() => direct.close());
    const unknown = await direct.callTool({ name: 'delete_all', arguments: {} });
    expect(hidden).toEqual(unknown);
    expect(upstream.runs.get('delete_all')).toBeUndefined();
    const outcome = h
      .events()
      .find((event) => event.type === 'toolCall.result' && event.data.outcome === 'blocked');
    expect(outcome).toBeDefined();
  });

  it('Seen: a tool the upstream lists only to an agent that can sample was callable by another agent, and hidden from the first, whichever listed last', async () => {
    const upstream = await sessionUpstream();
    const h = await startProxy({
      upstream: { url: upstream.url },
      narrow: hideTools(['delete_*']),
    });
    const sampler = await agent(h.proxy, 'sampler', { capabilities: { sampling: {} } });
    const plain = await agent(h.proxy, 'plain');
    const listed = async (who: typeof plain) =>
      (await who.client.listTools()).tools.map((tool) => tool.name);
    expect(await listed(sampler)).toContain(SAMPLING_TOOL);
    expect(await listed(plain)).not.toContain(SAMPLING_TOOL);
    // The other agent listed last: the tool is still this agent's to call.
    expect(await sampler.call(SAMPLING_TOOL)).toBe(`${SAMPLING_TOOL} ran`);
    expect(await listed(sampler)).toContain(SAMPLING_TOOL);
    // And this agent listed last: the other still reads it as an unknown tool, never sent.
    const hidden = await plain.client.callTool({ name: SAMPLING_TOOL, arguments: {} });
    expect(hidden).toEqual({
      content: [{ type: 'text', text: `MCP error -32602: Tool ${SAMPLING_TOOL} not found` }],
      isError: true,
    });
    expect(upstream.runs.get(SAMPLING_TOOL)).toBe(1);
    const blocked = h
      .events()
      .filter((event) => event.type === 'toolCall.result' && event.data.outcome === 'blocked');
    expect(blocked).toHaveLength(1);
    // The names each agent sees never changed, so neither was told they did.
    await sampler.fence();
    await plain.fence();
    expect(sampler.heard.listChanged).toEqual([]);
    expect(plain.heard.listChanged).toEqual([]);
  });

  it('narrows per capture and sends list_changed to exactly the sessions whose names changed', async () => {
    const upstream = await sessionUpstream();
    const options: Omit<ProxyOptions<string>, 'tracker'> = {
      upstream: { url: upstream.url },
      context: 'all',
      narrow: (tools, context) =>
        context === 'all' ? tools : tools.filter((tool) => tool.name !== 'delete_all'),
    };
    const h = await startProxy<string>(options);
    h.tracker.beginCapture('run-2');
    const one = await agent(h.proxy, 'one');
    const two = await agent(h.proxy, 'two', { capture: 'run-2' });
    await one.client.listTools();
    await two.client.listTools();
    h.proxy.setContext('safe', { capture: 'run-2' });
    await one.fence();
    await two.fence();
    expect(one.heard.listChanged).toEqual([]);
    expect(two.heard.listChanged).toHaveLength(1);
    expect((await two.client.listTools()).tools.map((t) => t.name)).not.toContain('delete_all');
    expect((await one.client.listTools()).tools.map((t) => t.name)).toContain('delete_all');
    expect(h.proxy.visibleTools({ capture: 'run-2' }).map((t) => t.name)).not.toContain(
      'delete_all',
    );
    const blocked = CallToolResultSchema.parse(
      await two.client.callTool({ name: 'delete_all', arguments: {} }),
    );
    expect(blocked.isError).toBe(true);
    expect(upstream.runs.get('delete_all')).toBeUndefined();
    await one.call('delete_all');
    expect(upstream.runs.get('delete_all')).toBe(1);
  });
});

describe('proxy: the proxy-wide catalog is the proxy’s own session’s', () => {
  it('Seen: the proxy-wide catalog flipped to whichever agent listed last (catalog.listed, visibleTools, listChanged$)', async () => {
    const upstream = await sessionUpstream();
    const h = await startProxy({ upstream: { url: upstream.url } });
    // The proxy's own session (no capabilities) is not offered the sampling tool.
    const own = (await h.proxy.refreshTools()).map((tool) => tool.name);
    expect(own).not.toContain(SAMPLING_TOOL);
    const changes: (readonly string[])[] = [];
    h.proxy.listChanged$.subscribe((names) => changes.push(names));
    const listedEvents = () => h.events().filter((event) => event.type === 'catalog.listed');
    const before = listedEvents();
    expect(before.length).toBeGreaterThan(0);

    const sampler = await agent(h.proxy, 'sampler', { capabilities: { sampling: {} } });
    const plain = await agent(h.proxy, 'plain');
    const names = async (who: typeof plain) =>
      (await who.client.listTools()).tools.map((tool) => tool.name);
    expect(await names(sampler)).toContain(SAMPLING_TOOL);
    expect(h.proxy.visibleTools().map((tool) => tool.name)).toEqual(own);
    expect(await names(plain)).not.toContain(SAMPLING_TOOL);
    expect(await names(sampler)).toContain(SAMPLING_TOOL);

    expect(h.proxy.visibleTools().map((tool) => tool.name)).toEqual(own);
    expect(listedEvents()).toEqual(before);
    expect(h.notices.filter((notice) => notice.type === 'catalog.listed')).toHaveLength(
      before.length,
    );
    expect(changes).toEqual([]);
  });
});

describe('proxy: a session’s GET stream resumes (issue 13)', () => {
  it('replays what was sent while the agent was away to a GET with Last-Event-ID', async () => {
    const upstream = await sessionUpstream();
    const h = await startProxy<number>({
      upstream: { url: upstream.url },
      context: 0,
      narrow: (tools, hidden) => tools.slice(hidden),
    });
    const headers = await rawSession(h.proxy as never);
    const stream = { ...headers, Accept: 'text/event-stream' };
    const first = await fetch(h.proxy.url, { headers: stream });
    expect(first.status).toBe(200);
    await expect.poll(() => h.proxy.openStreams()).toBe(1);
    h.proxy.setContext(1, { capture: 'run-1' });
    const [seen] = await readEvents(first, 1);
    expect(JSON.parse(seen!.data)).toMatchObject({ method: 'notifications/tools/list_changed' });
    await expect.poll(() => h.proxy.openStreams()).toBe(0);

    // Away: this one is kept for the session, not lost.
    h.proxy.setContext(2, { capture: 'run-1' });
    const again = await fetch(h.proxy.url, {
      headers: { ...stream, 'Last-Event-ID': seen!.id! },
    });
    expect(again.status).toBe(200);
    const missed = await readEvents(again, 1);
    expect(missed.map((event) => JSON.parse(event.data) as unknown)).toEqual([
      { jsonrpc: '2.0', method: 'notifications/tools/list_changed' },
    ]);
    expect(missed[0]!.id).not.toBe(seen!.id);
  });
});
