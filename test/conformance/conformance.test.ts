// The MCP org's conformance suite (@modelcontextprotocol/conformance, server mode, every
// scenario) judges five targets on real sockets: the conformance upstream directly (the
// reference), that upstream behind the proxy over HTTP and over stdio, behind a gateway beside
// another server (its names kept: `prefix: ''`), and the loopback server with the same scenario
// tools, prompts and resources registered through its API. Each target must end every scenario as the upstream
// did, or as expected-failures.json says for that target and why. A listed scenario that starts
// to pass fails the test too, so that the list shrinks as the gaps close.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTracker, type Tracker } from '../../src/index.js';
import { createGateway, createLoopbackServer, createProxy } from '../../src/mcp/index.js';
import { named } from '../gateway/support.js';
import { until } from '../mcp/support.js';
import { startForwarder } from './forwarder.js';
import { LOOPBACK_CATALOG } from './loopbackTarget.js';
import { ensureRunner } from './installRunner.js';
import { runSuite, type ScenarioResult, type ScenarioStatus, type SuiteRun } from './runSuite.js';
import { startConformanceUpstream } from './upstream.js';

const TARGETS = ['upstream', 'proxy-http', 'proxy-stdio', 'gateway', 'loopback'] as const;
type Target = (typeof TARGETS)[number];

interface Expected {
  readonly status: ScenarioStatus;
  readonly reason: string;
}
const EXPECTED = JSON.parse(
  readFileSync(new URL('./expected-failures.json', import.meta.url), 'utf8'),
) as Record<Target, Record<string, Expected>>;

const stdioUpstream = {
  command: process.execPath,
  args: ['--import', 'tsx', fileURLToPath(new URL('./stdioUpstream.ts', import.meta.url))],
  cwd: fileURLToPath(new URL('../..', import.meta.url)),
  name: 'conformance-stdio',
};

const runs = new Map<Target, SuiteRun>();
const stops: (() => Promise<unknown>)[] = [];
let tracker: Tracker;
/** Tool calls started, by capture. */
const calls = new Map<string, number>();

beforeAll(async () => {
  const runner = await ensureRunner();
  tracker = createTracker();
  tracker.events$.subscribe((event) => {
    if (event.type === 'toolCall.started' && event.capture !== undefined) {
      calls.set(event.capture, (calls.get(event.capture) ?? 0) + 1);
    }
  });
  const upstream = await startConformanceUpstream();
  stops.push(() => upstream.stop());
  /** Close `endpoint` after the file (before what it depends on). */
  const closing = <E extends { close: () => Promise<unknown> }>(endpoint: E): E => {
    stops.unshift(() => endpoint.close());
    return endpoint;
  };
  /** The endpoint's URL at a forwarder that adds `credential`. */
  const behind = async (endpoint: { url: string }, credential: string) =>
    closing(await startForwarder(endpoint.url, credential)).url;
  // A capture per endpoint, begun before its credential is handed out.
  for (const capture of ['proxy-http', 'proxy-stdio', 'gateway', 'loopback']) {
    tracker.beginCapture(capture);
  }
  const proxyHttp = closing(await createProxy({ tracker, upstream: { url: upstream.url } }));
  const proxyStdio = closing(await createProxy({ tracker, upstream: stdioUpstream }));
  const gateway = closing(
    await createGateway({
      tracker,
      servers: {
        conformance: { upstream: { url: upstream.url }, prefix: '' },
        // Another server's tools beside the suite's, under their own prefix.
        other: named('other', 'test_simple_text'),
      },
    }),
  );
  const loopback = closing(await createLoopbackServer({ tracker, ...LOOPBACK_CATALOG }));
  const urls: Record<Target, string> = {
    upstream: upstream.url,
    'proxy-http': await behind(proxyHttp, proxyHttp.credential({ capture: 'proxy-http' })),
    'proxy-stdio': await behind(proxyStdio, proxyStdio.credential({ capture: 'proxy-stdio' })),
    gateway: await behind(gateway, gateway.credential({ capture: 'gateway' })),
    loopback: await behind(loopback, loopback.credential({ capture: 'loopback', owner: false })),
  };
  // One runner process per target, side by side; each runs its scenarios one after another.
  await Promise.all(
    TARGETS.map(async (target) => runs.set(target, await runSuite(runner, urls[target]))),
  );
}, 600_000);

afterAll(async () => {
  for (const stop of stops.splice(0)) await stop();
});

/**
 * Every scenario of a target that did not end as it should, and why. It should end as the
 * upstream did directly (the upstream itself: passed), unless expected-failures.json lists it
 * for the target: then exactly as listed.
 */
function mismatches(target: Target): string[] {
  const reference = runs.get('upstream')!.scenarios;
  const problems: string[] = [];
  for (const [scenario, result] of runs.get(target)!.scenarios) {
    const listed = EXPECTED[target][scenario];
    const direct = target === 'upstream' ? 'passed' : reference.get(scenario)?.status;
    if (result.status === (listed?.status ?? direct)) continue;
    problems.push(
      listed
        ? `${scenario}: ${result.status}, but expected-failures.json lists it as ${listed.status} ` +
            `(${listed.reason}): update or remove the entry`
        : `${scenario}: ${result.status} (the upstream directly: ${direct}): ${why(result)}`,
    );
  }
  return problems;
}

/** The failed and warned checks of a scenario, in one line. */
const why = (result: ScenarioResult) =>
  result.checks
    .filter((check) => check.status === 'FAILURE' || check.status === 'WARNING')
    .map((check) => `${check.id}: ${check.errorMessage ?? check.status}`)
    .join('; ');

/** Every target's status per scenario, `*` where expected-failures.json lists it. */
function table(): string {
  const names = [...runs.get('upstream')!.scenarios.keys()];
  const width = Math.max(...names.map((name) => name.length));
  const cell = (target: Target, name: string) =>
    `${runs.get(target)?.scenarios.get(name)?.status ?? '-'}${EXPECTED[target][name] ? '*' : ''}`.padEnd(
      12,
    );
  return [
    `${'scenario'.padEnd(width)}  ${TARGETS.map((target) => target.padEnd(12)).join('')}`,
    ...names.map((name) => `${name.padEnd(width)}  ${TARGETS.map((t) => cell(t, name)).join('')}`),
  ].join('\n');
}

describe('the MCP conformance suite (server mode, --suite all)', () => {
  it('runs the same scenarios against every target, and the list names only those', () => {
    const names = [...runs.get('upstream')!.scenarios.keys()].sort();
    expect(names.length).toBeGreaterThan(0);
    for (const target of TARGETS) {
      expect([...runs.get(target)!.scenarios.keys()].sort(), target).toEqual(names);
      expect(
        Object.keys(EXPECTED[target]).filter((name) => !names.includes(name)),
        `expected-failures.json, ${target}: not scenarios of the suite`,
      ).toEqual([]);
    }
  });

  it('the upstream passes every scenario but the ones listed for it, directly', () => {
    expect(mismatches('upstream'), table()).toEqual([]);
  });

  it('the proxy over HTTP ends every scenario as its upstream does directly', () => {
    expect(mismatches('proxy-http'), table()).toEqual([]);
  });

  it('the proxy over stdio ends every scenario as its upstream does directly', () => {
    expect(mismatches('proxy-stdio'), table()).toEqual([]);
  });

  it('the gateway ends every scenario as the server behind it does directly', () => {
    expect(mismatches('gateway'), table()).toEqual([]);
  });

  it('the loopback server passes every scenario its API can serve', () => {
    expect(mismatches('loopback'), table()).toEqual([]);
  });

  it('tracked the tool calls of the suite, and every request to its end', async () => {
    for (const capture of ['proxy-http', 'proxy-stdio', 'gateway', 'loopback']) {
      expect(calls.get(capture), capture).toBeGreaterThan(0);
      const snapshot = await until(tracker, capture, (s) => s?.inFlight === 0);
      expect(snapshot?.inFlight, capture).toBe(0);
    }
  });
});
