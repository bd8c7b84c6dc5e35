// A real run through the proxy, live and replayed: the agent's trace continues through the
// proxy's SERVER span and CLIENT span into the upstream (which receives the CLIENT span's
// traceparent), and the recording, read back from its JSONL file, projects to the same spans.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { SpanKind } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';

import { createTracker } from '../../src/index.js';
import { createProxy } from '../../src/mcp/index.js';
import { createJsonlStore, readJsonl } from '../../src/store/index.js';
import { onCleanup, settled } from '../mcp/support.js';
import { agentTransport, httpUpstream } from '../proxy/support.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { normalized, project, sdk } from './otelHarness.js';

const AGENT_TRACE = '0af7651916cd43dd8448eb211c80319c';
const AGENT_SPAN = 'b7ad6b7169203331';

describe('otel: a run through the proxy', () => {
  it('is one trace from the agent to the upstream, and its recording replays to the same spans', async () => {
    const upstream = await httpUpstream();
    const path = join(mkdtempSync(join(tmpdir(), 'toolflight-otel-')), 'run.jsonl');
    const store = createJsonlStore(path);
    const tracker = createTracker({ store });
    const live = sdk();
    const projection = project(live, tracker, { timeOrigin: 0 });
    tracker.beginCapture('run-1');
    const proxy = await createProxy({ tracker, upstream: { url: upstream.url } });
    onCleanup(() => proxy.close());
    const agent = new Client({ name: 'otel-agent', version: '1.0.0' });
    await agent.connect(agentTransport(proxy.url, proxy.credential({ capture: 'run-1' })));
    await agent.callTool({
      name: 'echo',
      arguments: { text: 'traced' },
      _meta: { traceparent: `00-${AGENT_TRACE}-${AGENT_SPAN}-01` },
    });
    await agent.callTool({ name: 'fail', arguments: {} });
    await settled({ tracker });
    await agent.close();
    await proxy.close();
    projection.close();
    store.close();

    const server = live.span('tools/call echo', SpanKind.SERVER);
    const client = live
      .spans()
      .find(
        (span) =>
          span.kind === SpanKind.CLIENT &&
          span.name === 'tools/call echo' &&
          span.parentSpanContext?.spanId === server.spanContext().spanId,
      );
    // agent -> proxy SERVER -> proxy CLIENT -> upstream, one trace.
    expect(server.spanContext().traceId).toBe(AGENT_TRACE);
    expect(server.parentSpanContext?.spanId).toBe(AGENT_SPAN);
    expect(client?.spanContext().traceId).toBe(AGENT_TRACE);
    const sent = upstream.metas.find((meta) =>
      String(meta.traceparent).includes(client!.spanContext().spanId),
    );
    expect(sent?.traceparent).toBe(`00-${AGENT_TRACE}-${client!.spanContext().spanId}-01`);
    expect(server.attributes).toMatchObject({
      'mcp.method.name': 'tools/call',
      'gen_ai.tool.name': 'echo',
      'gen_ai.operation.name': 'execute_tool',
      'network.transport': 'tcp',
      'toolflight.outcome': 'completed',
    });
    expect(live.span('tools/call fail', SpanKind.SERVER).attributes['error.type']).toBe(
      'tool_error',
    );

    // Tomorrow: the same file, projected after the fact.
    const replayed = sdk();
    await project(replayed, readJsonl(path), { timeOrigin: 0 }).done;
    const byId = (spans: ReturnType<typeof live.spans>) =>
      spans.map(normalized).sort((a, b) => a.spanId.localeCompare(b.spanId));
    expect(byId(replayed.spans())).toEqual(byId(live.spans()));
    expect(live.spans().length).toBeGreaterThanOrEqual(6);
  });
});
