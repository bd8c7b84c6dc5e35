// Sessions on the loopback server: `initialize` opens one (Mcp-Session-Id), DELETE and an idle
// timeout end it, each has its own GET stream; tools talk to their agent on the call's own
// stream (progress, log lines) and ask it questions (elicitation, sampling, roots) they wait on,
// tracked in the log; a request without a session is still served, as by a stateless server.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  CallToolResultSchema,
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ErrorCode,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  McpError,
  PromptListChangedNotificationSchema,
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema,
  type CallToolResult,
  type ClientCapabilities,
} from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';

import type {
  LoopbackPrompt,
  LoopbackResource,
  LoopbackRole,
  LoopbackTool,
  ToolCallContext,
} from '../../src/mcp/index.js';
import {
  bearer,
  clientTransport,
  echoTool,
  gateTool,
  INITIALIZE_BODY,
  nextEvent,
  onCleanup,
  raw,
  readEvents,
  rpcHeaders,
  settled,
  startHarness,
  toolsCall,
  VirtualClock,
  type Harness,
} from './support.js';

const text = (value: string): CallToolResult => ({ content: [{ type: 'text', text: value }] });
const textOf = (result: unknown): string =>
  ((result as CallToolResult).content[0] as { text: string }).text;

/** A tool that runs `body` with its context and answers what it returns. */
const toolWith = (
  name: string,
  body: (context: ToolCallContext) => Promise<string>,
): LoopbackTool => ({
  name,
  inputSchema: { type: 'object' },
  run: async (_args, context) => text(await body(context)),
});

/** An SDK agent with these capabilities, closed after the test. */
async function agent(
  h: Harness,
  options: { capabilities?: ClientCapabilities; role?: LoopbackRole; capture?: string } = {},
): Promise<Client> {
  const client = new Client(
    { name: 'session-agent', version: '1.0.0' },
    { capabilities: options.capabilities ?? {} },
  );
  await client.connect(
    clientTransport(h.server, options.role ?? 'owner', options.capture ?? 'run-1'),
  );
  onCleanup(() => client.close());
  return client;
}

/** Open a session by hand; its id and the headers that name it. */
async function rawSession(h: Harness, role: LoopbackRole = 'owner', capture = 'run-1') {
  const headers = rpcHeaders(h.server, { Authorization: bearer(h.server, capture, role) });
  const opened = await raw(h.server, { headers, body: INITIALIZE_BODY });
  expect(opened.status).toBe(200);
  const id = opened.headers['mcp-session-id'];
  expect(typeof id).toBe('string');
  return { id: id as string, headers: { ...headers, 'Mcp-Session-Id': id as string } };
}

describe('loopback sessions', () => {
  it('opens a session at initialize and serves the agent in it', async () => {
    const h = await startHarness();
    const client = await agent(h);
    expect(h.server.sessions()).toBe(1);
    const result = await client.callTool({ name: 'echo', arguments: { text: 'hi' } });
    expect(textOf(result)).toBe('{"text":"hi"}');
    await settled(h);
    expect(h.timeline('run-1').filter((line) => line.startsWith('toolCall.'))).toHaveLength(4);
  });

  it('ends a session at DELETE: the next request with its id gets 404', async () => {
    const h = await startHarness();
    const { id, headers } = await rawSession(h);
    const ended = await raw(h.server, { method: 'DELETE', headers });
    expect(ended.status).toBe(200);
    expect(h.server.sessions()).toBe(0);
    const after = await raw(h.server, { headers, body: toolsCall('echo') });
    expect(after.status).toBe(404);
    expect(after.json).toMatchObject({ error: { code: -32001 } });
    expect(id).not.toBe('');
  });

  it('refuses a DELETE without a session id with 400', async () => {
    const h = await startHarness();
    const refused = await raw(h.server, { method: 'DELETE', headers: rpcHeaders(h.server) });
    expect(refused.status).toBe(400);
  });

  it('gives a session id to its own credential only: another role or capture gets 404', async () => {
    const h = await startHarness();
    h.tracker.beginCapture('run-2');
    const { id } = await rawSession(h);
    for (const [role, capture] of [
      ['non-owner', 'run-1'],
      ['owner', 'run-2'],
    ] as const) {
      const headers = rpcHeaders(h.server, {
        Authorization: bearer(h.server, capture, role),
        'Mcp-Session-Id': id,
      });
      const answer = await raw(h.server, { headers, body: toolsCall('echo') });
      expect(answer.status, `${role} of ${capture}`).toBe(404);
    }
  });

  it('answers a second initialize in a session with 400', async () => {
    const h = await startHarness();
    const { headers } = await rawSession(h);
    const again = await raw(h.server, { headers, body: INITIALIZE_BODY });
    expect(again.status).toBe(400);
    expect(h.server.sessions()).toBe(1);
  });

  it('still serves a request sent without a session, as a stateless server does', async () => {
    const h = await startHarness();
    const answer = await raw(h.server, { body: toolsCall('echo', { text: 'alone' }) });
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ result: { content: [{ text: '{"text":"alone"}' }] } });
    expect(h.server.sessions()).toBe(0);
  });

  it('ends a session idle for sessionIdleMs, on the scheduler, but not while its GET stream is open', async () => {
    const clock = new VirtualClock();
    const h = await startHarness({ scheduler: clock, sessionIdleMs: 1_000 });
    const { headers } = await rawSession(h);
    clock.advance(999);
    expect(h.server.sessions()).toBe(1);
    clock.advance(1);
    expect(h.server.sessions()).toBe(0);
    const after = await raw(h.server, { headers, body: toolsCall('echo') });
    expect(after.status).toBe(404);

    // An agent with its stream open is still there, however long it is quiet.
    const client = await agent(h);
    await client.listTools();
    await expect.poll(() => h.server.openStreams()).toBe(1);
    clock.advance(10_000);
    expect(h.server.sessions()).toBe(1);
  });

  it('replays what was sent while the agent was away to a GET with Last-Event-ID', async () => {
    const h = await startHarness();
    const { headers } = await rawSession(h);
    const stream = { ...headers, Accept: 'text/event-stream' };
    // Sent before the session's first stream opened: kept for it.
    h.server.setTools([{ ...echoTool, description: 'first' }]);
    const first = await fetch(h.server.url, { headers: stream });
    expect(first.status).toBe(200);
    const [seen] = await readEvents(first, 1);
    expect(JSON.parse(seen!.data)).toEqual({
      jsonrpc: '2.0',
      method: 'notifications/tools/list_changed',
    });
    await expect.poll(() => h.server.openStreams()).toBe(0);
    h.server.setTools([{ ...echoTool, description: 'second' }]);
    const again = await fetch(h.server.url, {
      headers: { ...stream, 'Last-Event-ID': seen!.id! },
    });
    const missed = await readEvents(again, 1);
    expect(missed).toHaveLength(1);
    expect(missed[0]!.id).not.toBe(seen!.id);
  });

  it('answers an Mcp-Session-Id it never issued, however long or strange, with 404', async () => {
    const h = await startHarness();
    await rawSession(h);
    for (const id of ['x'.repeat(8_000), '../../etc', 'café', ' ', 'a, b']) {
      const headers = rpcHeaders(h.server, { 'Mcp-Session-Id': id });
      const answer = await raw(h.server, { headers, body: toolsCall('echo') });
      expect(answer.status, id.slice(0, 20)).toBe(404);
    }
    expect(h.server.sessions()).toBe(1);
  });

  it('keeps a session with a call in progress, however long it runs, and ends it once idle after', async () => {
    const clock = new VirtualClock();
    const gate = gateTool();
    const h = await startHarness({ tools: [gate], scheduler: clock, sessionIdleMs: 1_000 });
    const { headers } = await rawSession(h);
    const call = raw(h.server, { headers, body: toolsCall('gate') });
    await gate.started();
    clock.advance(5_000);
    expect(h.server.sessions()).toBe(1);
    gate.release();
    expect((await call).status).toBe(200);
    clock.advance(999);
    expect(h.server.sessions()).toBe(1);
    clock.advance(1);
    expect(h.server.sessions()).toBe(0);
  });

  it('refuses an initialize past limits.maxSessionsPerCapture with 503', async () => {
    const h = await startHarness({ limits: { maxSessionsPerCapture: 2 } });
    await rawSession(h);
    await rawSession(h);
    const refused = await raw(h.server, { body: INITIALIZE_BODY });
    expect(refused.status).toBe(503);
    expect(refused.text).toContain('maxSessionsPerCapture');
  });

  it('ends the sessions of a capture that is cleared', async () => {
    const h = await startHarness();
    await rawSession(h);
    h.tracker.clearCapture('run-1');
    await expect.poll(() => h.server.sessions()).toBe(0);
  });

  it('sends list_changed to the sessions whose visible tools changed, on their own streams', async () => {
    const h = await startHarness({
      tools: [echoTool, { ...echoTool, name: 'secret', ownerOnly: true }],
    });
    const heard = { owner: 0, nonOwner: 0 };
    const owner = await agent(h);
    const nonOwner = await agent(h, { role: 'non-owner' });
    owner.setNotificationHandler(ToolListChangedNotificationSchema, () => void heard.owner++);
    nonOwner.setNotificationHandler(ToolListChangedNotificationSchema, () => void heard.nonOwner++);
    await owner.listTools();
    await nonOwner.listTools();
    await expect.poll(() => h.server.openStreams()).toBe(2);
    h.server.setTools([echoTool]);
    await expect.poll(() => heard.owner).toBe(1);
    expect(heard.nonOwner).toBe(0);
  });
});

describe('a tool talks to its agent', () => {
  it('reports progress on the call stream when the agent asked for it, in order', async () => {
    const h = await startHarness({
      tools: [
        toolWith('steps', async (context) => {
          const sent = [];
          for (const step of [1, 2, 3]) sent.push(await context.progress(step, 3, `step ${step}`));
          return sent.join(',');
        }),
      ],
    });
    const client = await agent(h);
    const seen: number[] = [];
    const result = await client.callTool({ name: 'steps' }, CallToolResultSchema, {
      onprogress: (progress) => seen.push(progress.progress),
    });
    expect(seen).toEqual([1, 2, 3]);
    expect(textOf(result)).toBe('true,true,true');
    // Without a progress token there is nobody to tell: nothing is sent.
    expect(textOf(await client.callTool({ name: 'steps' }))).toBe('false,false,false');
  });

  it('answers as plain JSON when the tool sends nothing on the way, as an event stream when it does', async () => {
    const h = await startHarness({
      tools: [echoTool, toolWith('chatty', async (c) => String(await c.log('info', 'hello')))],
    });
    const { headers } = await rawSession(h);
    const plain = await raw(h.server, { headers, body: toolsCall('echo') });
    expect(plain.headers['content-type']).toBe('application/json');
    const streamed = await raw(h.server, { headers, body: toolsCall('chatty') });
    expect(streamed.headers['content-type']).toBe('text/event-stream');
    expect(streamed.text).toContain('"method":"notifications/message"');
    expect(streamed.text).toContain('"text":"true"');
  });

  it('logs to the calling agent only, at or above the level its session set', async () => {
    const h = await startHarness({
      tools: [
        toolWith('logs', async (context) => {
          const info = await context.log('info', 'an info line');
          const error = await context.log('error', 'an error line', 'tests');
          return `${info},${error}`;
        }),
      ],
    });
    const caller = await agent(h);
    const other = await agent(h);
    const lines: unknown[] = [];
    const leaked: unknown[] = [];
    caller.setNotificationHandler(
      LoggingMessageNotificationSchema,
      (n) => void lines.push(n.params.data),
    );
    other.setNotificationHandler(
      LoggingMessageNotificationSchema,
      (n) => void leaked.push(n.params.data),
    );
    expect(textOf(await caller.callTool({ name: 'logs' }))).toBe('true,true');
    await caller.setLoggingLevel('error');
    expect(textOf(await caller.callTool({ name: 'logs' }))).toBe('false,true');
    expect(lines).toEqual(['an info line', 'an error line', 'an error line']);
    expect(leaked).toEqual([]);
  });

  it('asks the agent for input and gets its answer, noted in the log with the call', async () => {
    const h = await startHarness({
      tools: [
        toolWith('confirm', async (context) => {
          const answer = await context.elicit({
            message: 'Delete it?',
            requestedSchema: { type: 'object', properties: { sure: { type: 'boolean' } } },
          });
          return `${answer.action}:${JSON.stringify(answer.content)}`;
        }),
      ],
    });
    const client = await agent(h, { capabilities: { elicitation: {} } });
    client.setRequestHandler(ElicitRequestSchema, (request) => {
      expect(request.params.message).toBe('Delete it?');
      return { action: 'accept', content: { sure: true } };
    });
    const result = await client.callTool({ name: 'confirm' });
    expect(textOf(result)).toBe('accept:{"sure":true}');
    await settled(h);
    const events = h.events();
    const started = events.find((e) => e.type === 'toolCall.started');
    const asked = events.find((e) => e.type === 'agent.asked');
    const answered = events.find((e) => e.type === 'agent.answered');
    expect(asked?.data).toMatchObject({ method: 'elicitation/create', toolCall: started?.id });
    expect(answered?.data).toEqual({ ...(asked?.data as object) });
    expect(asked?.capture).toBe('run-1');
  });

  it('samples the agent model and lists its roots', async () => {
    const h = await startHarness({
      tools: [
        toolWith('think', async (context) => {
          const sampled = await context.sample({
            messages: [{ role: 'user', content: { type: 'text', text: '2+2?' } }],
            maxTokens: 5,
          });
          const roots = await context.listRoots();
          const said = sampled.content.type === 'text' ? sampled.content.text : '?';
          return `${said} in ${roots.roots.map((root) => root.uri).join(',')}`;
        }),
      ],
    });
    const client = await agent(h, { capabilities: { sampling: {}, roots: {} } });
    client.setRequestHandler(CreateMessageRequestSchema, () => ({
      role: 'assistant',
      model: 'test-model',
      content: { type: 'text', text: '4' },
    }));
    client.setRequestHandler(ListRootsRequestSchema, () => ({ roots: [{ uri: 'file:///work' }] }));
    expect(textOf(await client.callTool({ name: 'think' }))).toBe('4 in file:///work');
  });

  it('refuses to ask an agent that did not declare the capability, or has no session', async () => {
    const tool = toolWith('confirm', async (context) =>
      context.elicit({ message: 'ok?', requestedSchema: { type: 'object', properties: {} } }).then(
        (answer) => answer.action,
        (error: { code?: string; message: string }) => `${error.code}: ${error.message}`,
      ),
    );
    const h = await startHarness({ tools: [tool] });
    const client = await agent(h);
    expect(textOf(await client.callTool({ name: 'confirm' }))).toMatch(
      /^capability_missing: the agent did not declare the elicitation capability/,
    );
    const alone = await raw(h.server, { body: toolsCall('confirm') });
    expect(JSON.stringify(alone.json)).toContain(
      'no_session: elicitation/create needs an agent session',
    );
  });

  it('gives up on a question past its deadline, on the scheduler, and withdraws it from the agent', async () => {
    const clock = new VirtualClock();
    const tool = toolWith('confirm', async (context) =>
      context
        .elicit(
          { message: 'ok?', requestedSchema: { type: 'object', properties: {} } },
          { timeoutMs: 5_000 },
        )
        .then(
          (answer) => answer.action,
          (error: unknown) => (error instanceof McpError ? `error ${error.code}` : String(error)),
        ),
    );
    const h = await startHarness({ tools: [tool], scheduler: clock });
    const client = await agent(h, { capabilities: { elicitation: {} } });
    const asked = new Promise<void>((resolve) =>
      client.setRequestHandler(ElicitRequestSchema, (_request, extra) => {
        resolve();
        // Never answers; it hears that the question was withdrawn.
        return new Promise((_settle, reject) =>
          extra.signal.addEventListener('abort', () => reject(new Error('withdrawn'))),
        );
      }),
    );
    const answered = nextEvent(h.tracker, (event) => event.type === 'agent.answered');
    const call = client.callTool({ name: 'confirm' });
    await asked;
    clock.advance(4_999);
    expect(h.events().some((event) => event.type === 'agent.answered')).toBe(false);
    clock.advance(1);
    expect(textOf(await call)).toBe(`error ${ErrorCode.RequestTimeout}`);
    const { data } = (await answered) as { data: { method: string; error?: string } };
    expect(data.method).toBe('elicitation/create');
    expect(data.error).toContain('within 5000 ms');
  });

  it('ends the calls of a session the agent DELETEs as cancelled, and answers their POST', async () => {
    const gate = gateTool();
    const h = await startHarness({ tools: [gate] });
    const { headers } = await rawSession(h);
    const call = raw(h.server, { headers, body: toolsCall('gate') });
    const signal = await gate.started();
    const ended = await raw(h.server, { method: 'DELETE', headers });
    expect(ended.status).toBe(200);
    expect(signal.aborted).toBe(true);
    const answer = await call;
    expect(answer.status).toBe(200);
    expect((answer.json as { error: { message: string } }).error.message).toContain(
      'ended the session',
    );
    // The tool saw the aborted signal; until its code returns, the capture stays busy.
    gate.release();
    await settled(h);
    const result = h.events().find((event) => event.type === 'toolCall.result');
    expect(result?.data).toMatchObject({ outcome: 'cancelled' });
  });
});

describe('prompts and resources a host registers', () => {
  const readme: LoopbackResource = {
    uri: 'file:///notes/readme',
    name: 'readme',
    mimeType: 'text/plain',
    read: () => ({ contents: [{ uri: 'file:///notes/readme', text: 'hello' }] }),
  };
  const greet: LoopbackPrompt = {
    name: 'greet',
    arguments: [{ name: 'who', required: true }],
    get: ({ who }) => ({
      messages: [{ role: 'user', content: { type: 'text', text: `hi ${who}` } }],
    }),
  };

  it('serves them to the agent, and tells only subscribed sessions that a resource changed', async () => {
    const h = await startHarness({ prompts: [greet], resources: [readme] });
    const subscribed = await agent(h);
    const other = await agent(h);
    const updated: string[] = [];
    const leaked: string[] = [];
    subscribed.setNotificationHandler(
      ResourceUpdatedNotificationSchema,
      (n) => void updated.push(n.params.uri),
    );
    other.setNotificationHandler(
      ResourceUpdatedNotificationSchema,
      (n) => void leaked.push(n.params.uri),
    );
    const prompt = await subscribed.getPrompt({ name: 'greet', arguments: { who: 'ada' } });
    expect(prompt.messages[0]?.content).toEqual({ type: 'text', text: 'hi ada' });
    const read = await subscribed.readResource({ uri: readme.uri });
    expect(read.contents).toEqual([{ uri: readme.uri, text: 'hello' }]);
    await subscribed.subscribeResource({ uri: readme.uri });
    await other.listResources();
    await expect.poll(() => h.server.openStreams()).toBe(2);
    expect(h.server.resourceUpdated(readme.uri)).toBe(1);
    await expect.poll(() => updated).toEqual([readme.uri]);
    await subscribed.unsubscribeResource({ uri: readme.uri });
    expect(h.server.resourceUpdated(readme.uri)).toBe(0);
    expect(leaked).toEqual([]);
  });

  it('refuses a subscription to a resource it does not have with -32002', async () => {
    const h = await startHarness({ resources: [readme] });
    const client = await agent(h);
    await expect(client.subscribeResource({ uri: 'file:///nowhere' })).rejects.toMatchObject({
      code: -32002,
    });
  });

  it('sends prompts list_changed when the prompts change, and refuses prompts on a server that offers none', async () => {
    const h = await startHarness({ prompts: [greet] });
    const client = await agent(h);
    let changed = 0;
    client.setNotificationHandler(PromptListChangedNotificationSchema, () => void changed++);
    await client.listPrompts();
    await expect.poll(() => h.server.openStreams()).toBe(1);
    h.server.setPrompts([{ ...greet, description: 'now described' }]);
    await expect.poll(() => changed).toBe(1);
    expect(h.server.prompts()).toHaveLength(1);

    const plain = await startHarness();
    expect(() => plain.server.setPrompts([greet])).toThrow(/offers no prompts: pass prompts/);
    expect(() => plain.server.setResources([readme])).toThrow(/offers no resources/);
    const capabilities = (await agent(plain)).getServerCapabilities();
    expect(capabilities?.prompts).toBeUndefined();
    expect(capabilities?.resources).toBeUndefined();
  });
});

describe('loopback sessions under odd and hostile use (review findings)', () => {
  it('Seen: in responseMode sse a session GET replayed the initialize answer instead of what was sent for it', async () => {
    const h = await startHarness({ responseMode: 'sse' });
    const { headers } = await rawSession(h);
    h.server.setTools([{ ...echoTool, description: 'changed' }]);
    const stream = await fetch(h.server.url, {
      headers: { ...headers, Accept: 'text/event-stream' },
    });
    const [first] = await readEvents(stream, 1);
    expect(JSON.parse(first!.data)).toEqual({
      jsonrpc: '2.0',
      method: 'notifications/tools/list_changed',
    });
  });

  it('Seen: a refused first GET used up the replay of what was kept for the session', async () => {
    const h = await startHarness();
    const { headers } = await rawSession(h);
    h.server.setTools([{ ...echoTool, description: 'changed' }]);
    const refused = await raw(h.server, {
      method: 'GET',
      headers: { ...headers, Accept: 'application/json' },
    });
    expect(refused.status).toBe(406);
    const stream = await fetch(h.server.url, {
      headers: { ...headers, Accept: 'text/event-stream' },
    });
    const [first] = await readEvents(stream, 1);
    expect(JSON.parse(first!.data)).toMatchObject({ method: 'notifications/tools/list_changed' });
  });

  it('Seen: a request id used twice while open left a POST without an answer; the second gets -32600', async () => {
    const gate = gateTool();
    const h = await startHarness({ tools: [gate, echoTool] });
    const { headers } = await rawSession(h);
    const batch = await raw(h.server, {
      headers,
      body: `[${toolsCall('echo', {}, 5)},${toolsCall('echo', {}, 5)}]`,
    });
    const answers = batch.json as { id: number; result?: unknown; error?: { code: number } }[];
    expect(answers.map((answer) => answer.error?.code ?? 'result').sort()).toEqual([
      -32600,
      'result',
    ]);
    const held = raw(h.server, { headers, body: toolsCall('gate', {}, 9) });
    await gate.started();
    const again = await raw(h.server, { headers, body: toolsCall('echo', {}, 9) });
    expect(again.json).toMatchObject({ id: 9, error: { code: -32600 } });
    gate.release('done');
    expect((await held).json).toMatchObject({ id: 9, result: { content: [{ text: 'done' }] } });
    await settled(h);
  });

  it('Seen: a malformed initialize opened a session and got the SDK 400; it gets -32602 and opens none', async () => {
    const h = await startHarness();
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: 'all' },
    });
    const answer = await raw(h.server, { body });
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ id: 0, error: { code: -32602 } });
    expect(answer.headers['mcp-session-id']).toBeUndefined();
    expect(h.server.sessions()).toBe(0);
  });

  it('Seen: timeouts past what a timer can wait fired at once; they are refused', async () => {
    for (const options of [
      { toolTimeoutMs: 2 ** 31 },
      { askTimeoutMs: 2 ** 31 },
      { sessionIdleMs: 2 ** 31 },
      { askTimeoutMs: Infinity },
    ]) {
      await expect(startHarness(options)).rejects.toMatchObject({ code: 'invalid_option' });
    }
  });

  it('Seen: a cancelled prompts/get kept running and its POST waited; it is answered -32800 and its signal aborted', async () => {
    let signal: AbortSignal | undefined;
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const slow: LoopbackPrompt = {
      name: 'slow',
      get: (_args, context) => {
        signal = context.signal;
        started();
        return new Promise((resolve) =>
          context.signal.addEventListener('abort', () => resolve({ messages: [] })),
        );
      },
    };
    const h = await startHarness({ prompts: [slow] });
    const { headers } = await rawSession(h);
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: 3,
      method: 'prompts/get',
      params: { name: 'slow' },
    });
    const asked = raw(h.server, { headers, body });
    await running;
    const cancel = JSON.stringify({
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: 3, reason: 'not needed' },
    });
    expect((await raw(h.server, { headers, body: cancel })).status).toBe(202);
    expect((await asked).json).toMatchObject({ id: 3, error: { code: -32800 } });
    expect(signal?.aborted).toBe(true);
  });

  it('refuses session caps that are not positive whole numbers, or a per-capture cap above the total', async () => {
    for (const limits of [
      { maxSessions: 0 },
      { maxSessionsPerCapture: 1.5 },
      { maxSessions: 4, maxSessionsPerCapture: 8 },
    ]) {
      await expect(startHarness({ limits })).rejects.toThrow(/limits\.maxSessions/);
    }
  });

  it('counts sessions per capture, whatever the role of the credential', async () => {
    const h = await startHarness({ limits: { maxSessionsPerCapture: 2 } });
    await rawSession(h, 'owner');
    await rawSession(h, 'non-owner');
    const headers = rpcHeaders(h.server, { Authorization: bearer(h.server, 'run-1', 'non-owner') });
    expect((await raw(h.server, { headers, body: INITIALIZE_BODY })).status).toBe(503);
  });

  it('bounds subscriptions, and tells no session of a resource it can no longer see', async () => {
    const open: LoopbackResource = {
      uri: 'file:///open',
      name: 'open',
      read: () => ({ contents: [{ uri: 'file:///open', text: 'x' }] }),
    };
    const h = await startHarness({ resources: [open] });
    const client = await agent(h, { role: 'non-owner' });
    await expect(
      client.subscribeResource({ uri: `file:///${'x'.repeat(9_000)}` }),
    ).rejects.toMatchObject({
      code: -32602,
    });
    await client.subscribeResource({ uri: open.uri });
    expect(h.server.resourceUpdated(open.uri)).toBe(1);
    h.server.setResources([{ ...open, ownerOnly: true }]);
    expect(h.server.resourceUpdated(open.uri)).toBe(0);
  });
});
