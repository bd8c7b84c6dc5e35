// One server failing never affects the others: a server whose process dies mid-call fails only
// its own calls (with its exit code and stderr), the next call to it starts a new process, and
// every other server goes on serving the same agent session.
import { describe, expect, it } from 'vitest';

import { callText, connectAgent, everything, fixture, startGateway } from './support.js';

describe('a server that fails behind a gateway', { timeout: 60_000 }, () => {
  it('fails only its own calls when its process dies mid-call, with its exit code and stderr', async () => {
    const { gateway, events } = await startGateway({
      servers: { fixture: fixture(), everything: everything() },
    });
    const agent = await connectAgent(gateway);
    await agent.listTools();
    const hanging = agent.callTool({ name: 'fixture__hang', arguments: {} }).then(
      (result) => ({ result }),
      (error: unknown) => ({ error: String(error) }),
    );
    // The same agent's own child of the fixture server dies while `hang` waits on it.
    const died = await agent.callTool({ name: 'fixture__die', arguments: {} }).then(
      (result) => ({ result }),
      (error: unknown) => ({ error: String(error) }),
    );
    const exit =
      /upstream unreachable: the upstream process ended \(exit code 7\); stderr:\\n.*fixture: last words/;
    expect(JSON.stringify(died)).toMatch(exit);
    expect(JSON.stringify(await hanging)).toMatch(exit);
    // The other server serves the same session on.
    expect(await callText(agent, 'everything__echo', { message: 'still here' })).toEqual({
      text: 'Echo: still here',
      isError: false,
    });
    // And the fixture server comes back for this agent with a new process.
    expect((await callText(agent, 'fixture__echo', { text: 'again' })).text).toBe('again');
    const outcomes = events().flatMap((e) =>
      e.type === 'toolCall.result' ? [e.data.outcome] : [],
    );
    expect(outcomes.slice(-2)).toEqual(['completed', 'completed']);
    expect(outcomes.slice(0, 2).every((o) => o === 'unknown' || o === 'failed')).toBe(true);
  });
});
