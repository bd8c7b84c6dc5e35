// `toolflight inventory RECORDING`: what the agents of a gateway could use, from its recording
// alone. Folds the log; never connects, starts or lists anything.
import { maskText } from '../events/maskSecrets.js';
import {
  emptyInventory,
  foldInventory,
  inventoryOf,
  replay as replayLog,
  ToolflightError,
  type Inventory,
  type InventoryNotice,
  type InventoryOptions,
  type InventoryServer,
} from '../index.js';
import { configuredServers, hideTools } from '../mcp/index.js';
import { captureKeyProblem } from '../mcp/endpoint/captureCredentials.js';
import { readMcpServersFile } from './readMcpServersFile.js';
import type { CliIo, Command } from './io.js';
import { parseCommandArgs } from './parseCommandArgs.js';
import { openCliLog } from './readLog.js';
import { reportFindings } from './reportFindings.js';

const USAGE = [
  'usage: toolflight inventory RECORDING [--config FILE] [--capture KEY] [--until SEQ]',
  '                            [--hide TOOL] [--json]',
  '',
  "What a gateway's agents could use, from its recording alone: each server with its",
  'transport, state, catalog age and tools under their gateway names, or why it shows none.',
  'Nothing is connected or started. Exit 1 on a broken log, with the file and line of each',
  'problem.',
  '',
  'options:',
  '  --config FILE  the mcpServers file as it is now, in place of the recorded configuration:',
  '                 a server whose entry changed since it listed shows mcp-stale-catalog (its',
  '                 ${VAR}s need not be set)',
  '  --capture KEY  narrow as for the agents of KEY (its own context, if it has one)',
  '  --until SEQ    stop after the event with this seq',
  '  --hide TOOL    leave out tools, by gateway name <server>__<tool> (repeatable; * and ?',
  '                 wildcards), as `gateway --hide` would',
  '  --json         the inventory as one JSON object on one line',
  '  -h, --help     show this help',
].join('\n');

/** Why a server shows no tools, in a sentence. */
const NOTICES: Readonly<Record<InventoryNotice, string>> = {
  'mcp-not-yet-connected': 'it never connected, so its tools are not known yet',
  'mcp-not-yet-listed': 'it connected but has not listed its tools yet',
  'mcp-stale-catalog':
    'its configuration changed since it listed its tools: they are not served until it lists again',
};

/** A duration as a person reads it: `850 ms`, `4.2 s`, `3 min`, `2 h`, `3 d`. */
function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 86_400_000) return `${Math.round(ms / 3_600_000)} h`;
  return `${Math.round(ms / 86_400_000)} d`;
}

/** What came from a server's process or errors, masked: it may quote a token. */
function masked(server: InventoryServer): InventoryServer {
  return {
    ...server,
    ...(server.reason === undefined ? {} : { reason: maskText(server.reason) }),
    ...(server.narrowError === undefined ? {} : { narrowError: maskText(server.narrowError) }),
    stderrTail: server.stderrTail.map(maskText),
  };
}

/** One server's block: name and transport, state, catalog, notice, tools. */
function serverLines(
  server: InventoryServer,
  at: number | undefined,
  configured: boolean,
): string[] {
  // A server outside the configuration is named by the log alone: its state, no tools served.
  const transport =
    server.transport ?? (configured ? 'not in the configuration' : 'seen in the log');
  const since =
    server.since === undefined || at === undefined ? '' : ` for ${duration(at - server.since)}`;
  const lines = [
    `${server.server} (${transport})`,
    `  state: ${server.state === 'never' ? 'never started' : server.state}${since}`,
  ];
  if (server.reason !== undefined) {
    // A reason may quote stderr over several lines: they stay inside the server's block.
    const [first, ...rest] = server.reason.trimEnd().split('\n');
    lines.push(`  reason: ${first}`, ...rest.map((line) => `    ${line}`));
  }
  if (server.retryAt !== undefined && at !== undefined) {
    const due = server.retryAt - at;
    lines.push(
      due >= 0 ? `  next try in ${duration(due)}` : `  next try was due ${duration(-due)} before`,
    );
  }
  if (server.stderrTail.length > 0) {
    lines.push('  stderr:', ...server.stderrTail.map((line) => `    ${line}`));
  }
  if (server.listedAt !== undefined) {
    const age = server.catalogAgeMs === undefined ? '' : `, ${duration(server.catalogAgeMs)} old`;
    lines.push(
      `  catalog: listed${age}${server.kept ? ' (kept by the outbox from an earlier run)' : ''}`,
    );
  }
  if (server.notice !== undefined) {
    lines.push(`  notice: ${server.notice}: ${NOTICES[server.notice]}`);
  }
  if (server.narrowError !== undefined) {
    lines.push(`  no tools shown: the narrower failed: ${server.narrowError}`);
  }
  if (server.tools.length === 0) return [...lines, '  tools: none'];
  return [
    ...lines,
    `  tools (${server.tools.length}):`,
    ...server.tools.map((tool) => `    ${tool.name}`),
  ];
}

/** `toolflight inventory RECORDING`: the recorded servers, their state and their tools. */
export const inventory: Command = (args, io: CliIo) => {
  const parsed = parseCommandArgs('inventory', USAGE, io, {
    args: [...args],
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      capture: { type: 'string' },
      until: { type: 'string' },
      hide: { type: 'string', multiple: true },
      json: { type: 'boolean' },
    },
  });
  if (typeof parsed === 'number') return parsed;
  const usage = (message: string): number => {
    io.err(`toolflight inventory: ${message}\n${USAGE}`);
    return 2;
  };
  const [file, ...extra] = parsed.positionals;
  if (file === undefined || extra.length > 0) return usage('give exactly one recording file');
  const { values } = parsed;
  const until = values.until === undefined ? Infinity : Number(values.until);
  if (!(until === Infinity || (Number.isSafeInteger(until) && until > 0))) {
    return usage(`--until takes a seq (a positive integer), got ${JSON.stringify(values.until)}`);
  }
  const capture = values.capture;
  const captureProblem = capture === undefined ? undefined : captureKeyProblem(capture);
  if (captureProblem !== undefined) return usage(`--capture: ${captureProblem}`);
  if (values.config === '') return usage('--config must name a file');
  let servers: InventoryOptions['servers'];
  if (values.config !== undefined) {
    try {
      // As written: the fingerprint is of the entry before expansion, so no variable is read.
      servers = configuredServers(readMcpServersFile(values.config));
    } catch (error) {
      if (!(error instanceof ToolflightError)) throw error;
      // The file's own problem (where and why) says it all: no usage after it.
      io.err(`toolflight inventory: ${error.message}`);
      return 2;
    }
  }

  const log = openCliLog(file, io);
  let state = emptyInventory();
  let lastAt: number | undefined;
  const result = replayLog(log.events, {
    until,
    locate: log.where,
    // Every event read, a refused one too: the inventory reads only the notes, no machine.
    onStep: ({ event }) => {
      state = foldInventory(state, event);
      lastAt = event.at;
    },
  });
  log.done();

  // Catalog ages and retry times are measured at the end of what was read.
  const found = inventoryOf(state, {
    ...(lastAt === undefined ? {} : { at: lastAt }),
    ...(capture === undefined ? {} : { capture }),
    ...(servers === undefined ? {} : { servers }),
    ...(values.hide === undefined ? {} : { narrow: hideTools(values.hide) }),
  });
  const shown: Inventory = { ...found, servers: found.servers.map(masked) };
  if (values.json === true) {
    io.out(JSON.stringify(shown));
  } else if (shown.servers.length === 0) {
    io.out(
      `${file}: no MCP servers in this recording (${result.lastSeq === 0 ? 'it holds no events' : `read to seq ${result.lastSeq}`}): record a gateway with \`toolflight gateway --record FILE\``,
    );
  } else {
    const configured = servers !== undefined || state.configured !== undefined;
    const scope = capture === undefined ? '' : ` for capture ${JSON.stringify(capture)}`;
    io.out(
      `${file}: ${shown.servers.length} server${shown.servers.length === 1 ? '' : 's'}, ${shown.tools.length} tool${shown.tools.length === 1 ? '' : 's'}${scope}, at seq ${result.lastSeq}`,
    );
    for (const server of shown.servers) {
      io.out('');
      for (const line of serverLines(server, shown.at, configured)) io.out(line);
    }
  }
  return reportFindings(file, io, log.problems, result);
};
