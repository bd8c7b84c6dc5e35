// `toolflight otel RECORDING --endpoint URL` and `toolflight proxy --otlp URL` through the real
// bin in a child process, exporting with the real OTLP/HTTP exporters to a receiver on 127.0.0.1.
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';

import { agentTransport, httpUpstream } from '../proxy/support.js';
import { freePort } from '../support/freePort.js';
import {
  startOtlpReceiver,
  type OtlpReceiver,
  type ReceiverMode,
} from '../support/otlpReceiver.js';
import { RECORDING_START, TRACE, writeOtlpRecording } from '../support/otlpRecording.js';
import { createTracker } from '../../src/index.js';
import { createJsonlStore } from '../../src/store/index.js';
import { runBin, startBin, type BinOptions } from '../support/runBin.js';

const temp = mkdtempSync(join(tmpdir(), 'toolflight-otel-cli-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

async function receiver(mode: ReceiverMode = 'accept'): Promise<OtlpReceiver> {
  const started = await startOtlpReceiver(mode);
  onTestFinished(() => started.close());
  return started;
}

let files = 0;
/** A new copy of the test recording; its path. */
function recording(): string {
  const file = join(temp, `run-${++files}.jsonl`);
  writeOtlpRecording(file);
  return file;
}

/** `toolflight otel ARGS` to its exit. */
const otel = (args: string[], options?: BinOptions) => runBin(['otel', ...args], options);

const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A module hook, loaded with `--import` before the CLI, that makes one package look absent:
 * `import()` of `$TOOLFLIGHT_TEST_HIDE` fails as it does when it is not installed.
 */
function hiding(name: string): NodeJS.ProcessEnv {
  const hook = `export async function resolve(specifier, context, next) {
    if (specifier === process.env.TOOLFLIGHT_TEST_HIDE) {
      const error = new Error("Cannot find package '" + specifier + "' imported from the test");
      error.code = 'ERR_MODULE_NOT_FOUND';
      throw error;
    }
    return next(specifier, context);
  }`;
  const register = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hook)}`)});`;
  return {
    TOOLFLIGHT_TEST_HIDE: name,
    NODE_OPTIONS: `--import=data:text/javascript,${encodeURIComponent(register)}`,
  };
}

// Each case starts a child that compiles TypeScript as it loads: slow on a loaded machine.
describe('toolflight otel RECORDING --endpoint URL (the bin)', { timeout: 30_000 }, () => {
  it("exports the recording's spans with the trace ids the log recorded, then prints one summary line, exit 0", async () => {
    const collector = await receiver();
    const file = recording();
    const { code, stdout, stderr } = await otel([file, '--endpoint', collector.url]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toBe(`${file}: 14 events, 3 spans exported to ${collector.url}/\n`);
    // It exits once the collector took everything: no wait for arrivals is needed.
    const server = collector.spans.find(({ spanId }) => spanId === TRACE.serverSpanId);
    expect(server).toMatchObject({
      traceId: TRACE.traceId,
      parentSpanId: TRACE.agentSpanId,
      name: 'tools/call send',
      kind: 'SERVER',
      resource: { 'service.name': 'toolflight' },
    });
    expect(collector.spans.find(({ spanId }) => spanId === TRACE.clientSpanId)).toMatchObject({
      parentSpanId: TRACE.serverSpanId,
      kind: 'CLIENT',
    });
    expect(collector.metrics.map(({ name }) => name)).toContain('mcp.server.operation.duration');
  });

  it('sends every --header with each export, under --service, and prints no header value', async () => {
    const collector = await receiver();
    const { code, stdout, stderr } = await otel([
      recording(),
      '--endpoint',
      `${collector.url}/v1/traces`,
      '--header',
      'x-api-key=sk-live-123',
      '--header',
      'x-tenant=blue=green',
      '--service',
      'agent-host',
    ]);
    expect(code).toBe(0);
    expect(`${stdout}${stderr}`).not.toMatch(/sk-live-123|blue=green/);
    expect(collector.spans.length).toBeGreaterThan(0);
    expect(collector.metrics.length).toBeGreaterThan(0);
    expect(
      collector.requests.map(({ headers }) => [headers['x-api-key'], headers['x-tenant']]),
    ).toEqual(collector.requests.map(() => ['sk-live-123', 'blue=green']));
    expect(collector.spans[0]!.resource['service.name']).toBe('agent-host');
  });

  it('exits 1 when no collector listens (a closed port): one line per failed export and what was lost, no stack', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const { code, stdout, stderr } = await otel([recording(), '--endpoint', url], {
      // Below the exporter's first retry backoff (about 1 s): one attempt, then it gives up.
      env: { OTEL_EXPORTER_OTLP_TIMEOUT: '500' },
    });
    expect(code).toBe(1);
    expect(stdout).toMatch(
      new RegExp(`: 14 events, 0 spans exported to ${escaped(url)}/, 3 not exported\n$`),
    );
    expect(stderr).toMatch(
      new RegExp(
        `^toolflight otel: OTLP export of 3 spans to ${escaped(url)}/ failed: connect ECONNREFUSED`,
        'm',
      ),
    );
    expect(stderr).toMatch(
      new RegExp(
        `^toolflight otel: 3 spans could not be exported: is a collector listening on ${escaped(url)}/\\?`,
        'm',
      ),
    );
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('exports what a malformed recording holds around its unreadable lines, names each line, exit 1', async () => {
    const collector = await receiver();
    const file = recording();
    const lines = readFileSync(file, 'utf8').split('\n');
    writeFileSync(file, [lines[0], 'not json at all', ...lines.slice(1)].join('\n'));
    appendFileSync(file, '{"v":1,"seq":');
    const { code, stdout, stderr } = await otel([file, '--endpoint', collector.url]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/: 14 events, /);
    expect(stderr).toMatch(new RegExp(`^${escaped(file)}:2: not a JSON event`, 'm'));
    expect(stderr).toMatch(new RegExp(`^${escaped(file)}:16: `, 'm'));
    expect(stderr).toMatch(
      new RegExp(`^${escaped(file)}: the log is broken: 2 unreadable lines skipped`, 'm'),
    );
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('says a recording that is not there cannot be read, exit 1, sending nothing', async () => {
    const collector = await receiver();
    const missing = join(temp, 'no-such.jsonl');
    const { code, stdout, stderr } = await otel([missing, '--endpoint', collector.url]);
    expect({ code, stdout, stderr }).toEqual({
      code: 1,
      stdout: '',
      stderr: `toolflight otel: cannot read the recording ${missing}: no such file\n`,
    });
    expect(collector.requests).toEqual([]);
  });

  it('names the package to install when an OpenTelemetry SDK package is missing, exit 1', async () => {
    const collector = await receiver();
    const { code, stderr } = await otel([recording(), '--endpoint', collector.url], {
      env: hiding('@opentelemetry/exporter-metrics-otlp-http'),
    });
    expect(code).toBe(1);
    expect(stderr).toBe(
      'toolflight otel: OTLP export needs the optional peer dependency @opentelemetry/exporter-metrics-otlp-http, not installed: run `npm install @opentelemetry/exporter-metrics-otlp-http`\n',
    );
  });

  it('Seen: without @opentelemetry/api installed every command crashed at load; now only export needs it', async () => {
    const env = hiding('@opentelemetry/api');
    const version = await runBin(['--version'], { env });
    expect(version.code).toBe(0);
    const replay = await runBin(['replay', recording()], { env });
    expect(replay).toMatchObject({ code: 0, stderr: '' });
    const proxyHelp = await runBin(['proxy', '--help'], { env });
    expect(proxyHelp.code).toBe(0);
    const collector = await receiver();
    const exported = await otel([recording(), '--endpoint', collector.url], { env });
    expect(exported.code).toBe(1);
    expect(exported.stderr).toBe(
      'toolflight otel: OpenTelemetry export needs the optional peer dependency @opentelemetry/api, not installed: run `npm install @opentelemetry/api`\n',
    );
  });

  it('Seen: a capture cleared with 3,000 requests open overflowed the export queue, and the collector was blamed', async () => {
    const collector = await receiver();
    const file = join(temp, 'many-open.jsonl');
    const store = createJsonlStore(file);
    let now = RECORDING_START;
    const tracker = createTracker({ store, clock: () => now });
    tracker.beginCapture('run-1');
    for (let i = 0; i < 3000; i++) {
      tracker.requestClassified(tracker.requestStarted('run-1'), { method: 'tools/list' });
    }
    now += 10;
    tracker.clearCapture('run-1');
    store.close();
    const { code, stderr } = await otel([file, '--endpoint', collector.url]);
    expect(stderr).not.toContain('not exported');
    expect(code).toBe(0);
    await collector.waitFor((r) => (r.spans.length >= 3000 ? true : undefined));
    expect(collector.spans).toHaveLength(3000);
  });

  it('Seen: a token pasted as a header without its name was echoed in the error', async () => {
    const { code, stderr } = await otel([
      recording(),
      '--endpoint',
      'http://127.0.0.1:4318',
      '--header',
      'sk/SECRET3abc=',
    ]);
    expect(code).toBe(2);
    expect(stderr).not.toContain('SECRET3');
  });

  it('Seen: a timeout past what a Node timer holds made every timer fire at once', async () => {
    const { code, stderr } = await otel([recording(), '--endpoint', 'http://127.0.0.1:4318'], {
      env: { OTEL_EXPORTER_OTLP_TIMEOUT: '2147483647' },
    });
    expect(code).toBe(2);
    expect(stderr).toContain(
      'OTEL_EXPORTER_OTLP_TIMEOUT must be a positive number of milliseconds up to',
    );
    expect(stderr).not.toContain('TimeoutOverflowWarning');
  });

  describe('refuses bad flags with exit 2 and the usage, sending nothing', () => {
    it.each([
      ['no recording', [], {}, 'give exactly one recording file'],
      [
        'two recordings',
        ['a.jsonl', 'b.jsonl', '--endpoint', 'http://127.0.0.1:4318'],
        {},
        'give exactly one recording file',
      ],
      ['no --endpoint', ['run.jsonl'], {}, 'give the collector: --endpoint URL'],
      [
        'a gRPC endpoint',
        ['run.jsonl', '--endpoint', 'grpc://127.0.0.1:4317'],
        {},
        '--endpoint: the OTLP endpoint must be an http(s) URL (OTLP/HTTP), got a grpc: URL',
      ],
      [
        'a --header without "=" (it may be the key itself)',
        ['run.jsonl', '--endpoint', 'http://127.0.0.1:4318', '--header', 'sk-live-123'],
        {},
        '--header takes NAME=VALUE, and header 1 has no "=" (it is not shown: it may hold a key)',
      ],
      [
        'an empty --service',
        ['run.jsonl', '--endpoint', 'http://127.0.0.1:4318', '--service', ' '],
        {},
        '--service must not be empty',
      ],
      [
        'an OTEL_EXPORTER_OTLP_TIMEOUT that is not milliseconds',
        ['run.jsonl', '--endpoint', 'http://127.0.0.1:4318'],
        { OTEL_EXPORTER_OTLP_TIMEOUT: 'soon' },
        'OTEL_EXPORTER_OTLP_TIMEOUT must be a positive number of milliseconds up to 1000000000, got "soon"',
      ],
      [
        'an unknown flag',
        ['run.jsonl', '--endpoint', 'http://127.0.0.1:4318', '--jaeger'],
        {},
        "Unknown option '--jaeger'",
      ],
    ])('%s', async (_, args, env, message) => {
      const { code, stdout, stderr } = await otel(args, { env });
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderr.startsWith(`toolflight otel: ${message}`)).toBe(true);
      expect(stderr).toMatch(/\nusage: toolflight otel RECORDING --endpoint URL/);
      expect(stderr).not.toContain('sk-live-123');
    });

    it('a --header that is not an HTTP field name, quoting neither its name nor its value', async () => {
      const { code, stderr } = await otel([
        recording(),
        '--endpoint',
        'http://127.0.0.1:4318',
        '--header',
        'x api key=sk-live-123',
      ]);
      expect(code).toBe(2);
      expect(stderr).toMatch(
        /^toolflight otel: --header: an OTLP header name must be an HTTP field name \(letters, digits, -\)\n/,
      );
      expect(stderr).not.toContain('sk-live-123');
    });
  });
});

describe('--otlp URL on the live commands (the bin)', { timeout: 30_000 }, () => {
  /** `toolflight proxy --otlp URL` in front of the echo upstream, with an agent that called echo. */
  async function proxyCalledEcho(collectorUrl: string, env: NodeJS.ProcessEnv = {}) {
    const upstream = await httpUpstream(['echo']);
    const bin = startBin(['proxy', '--upstream', upstream.url, '--otlp', collectorUrl], { env });
    onTestFinished(async () => {
      bin.kill('SIGKILL');
      await bin.exit;
    });
    const [, url] = await bin.waitFor(/toolflight proxy listening on (\S+)\n/);
    const [, credential] = await bin.waitFor(/^TOOLFLIGHT_PROXY_TOKEN=(\S+)$/m);
    const agent = new Client({ name: 'otlp-agent', version: '1' });
    await agent.connect(agentTransport(url!, credential!));
    await agent.callTool({ name: 'echo', arguments: { text: 'traced' } });
    await agent.close();
    return bin;
  }

  it("proxy --otlp exports the agent's tools/call as a SERVER span while it runs, the rest when it stops, exit 0", async () => {
    const collector = await receiver();
    const bin = await proxyCalledEcho(collector.url);
    // Batches go out every 5 s while the proxy runs: a host sees spans without stopping it.
    const call = await collector.waitFor((r) =>
      // The CLIENT span upstream has the same name, and ends first.
      r.spans.find(({ name, kind }) => name === 'tools/call echo' && kind === 'SERVER'),
    );
    bin.kill('SIGTERM');
    const { code, stderr } = await bin.exit;
    expect(code).toBe(0);
    expect(call).toMatchObject({
      kind: 'SERVER',
      attributes: { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'echo' },
    });
    expect(stderr).toMatch(
      new RegExp(`^toolflight proxy: \\d+ spans exported to ${escaped(collector.url)}/$`, 'm'),
    );
  });

  it('proxy --otlp exits 0 within the export timeout when the collector never answers, saying what was not exported', async () => {
    const collector = await receiver('hang');
    const bin = await proxyCalledEcho(collector.url, { OTEL_EXPORTER_OTLP_TIMEOUT: '500' });
    bin.kill('SIGTERM');
    const { code, stderr } = await bin.exit;
    expect(code).toBe(0);
    expect(collector.requests.length).toBeGreaterThan(0);
    expect(stderr).toMatch(
      new RegExp(
        `^toolflight proxy: 0 spans exported to ${escaped(collector.url)}/, \\d+ not exported`,
        'm',
      ),
    );
  });

  it.each(['proxy', 'gateway', 'demo'])('%s --help documents --otlp URL', async (command) => {
    const { code, stdout } = await runBin([command, '--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/\n {2}--otlp URL {7,}\S.*OpenTelemetry collector/);
  });
});
