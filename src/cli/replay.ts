import { replay as replayLog, summarizeEvent, type ReplayStep } from '../index.js';
import type { CliIo, Command } from './io.js';
import { parseCommandArgs } from './parseCommandArgs.js';
import { openCliLog } from './readLog.js';
import { reportFindings } from './reportFindings.js';
import { streamCommand } from './natsLog.js';

const USAGE = [
  'usage: toolflight replay FILE [--until SEQ] [--capture KEY] [--json]',
  '       toolflight replay nats://[USER:PASS@]HOST:PORT/STREAM [--host H] [--log L] [--capture KEY] [--prefix P] [--until SEQ] [--json]',
  '',
  'Print a recording (JSONL or SQLite) as a timeline, one line per event with the machine state',
  'after it and what it carried (tool, arguments, note), then what was live at the end. Exit 1',
  'on a broken log, with the file, line and rule of each problem.',
  '',
  "A nats:// URL reads a JetStream stream that hosts ship to: every host's log checked on its",
  "own, merged in time order with a host column; --until applies to each host's own seq.",
  '',
  'options:',
  '  --until SEQ    stop after the event with this seq',
  '  --capture KEY  only the events and captures of KEY',
  '  --host H       (nats://) only host H',
  '  --log L        (nats://) only log L',
  '  --prefix P     (nats://) the subject prefix the hosts ship under (default toolflight)',
  '  --json         one JSON object instead: file, events, lastSeq (the last seq read),',
  '                 violations, violationCount, problems, captures',
  '  -h, --help     show this help',
].join('\n');

/** A timeline line: seq, time, type, entity, capture#gen, state after, what it carried. */
function timelineLine(step: ReplayStep, firstAt: number): string {
  const { event } = step;
  const where = event.capture === undefined ? '' : `${event.capture}#${event.gen ?? ''}`;
  const state = step.applied ? step.stateAfter : '!! refused';
  return [
    String(event.seq).padStart(6),
    `+${event.at - firstAt} ms`.padStart(11),
    event.type.padEnd(18),
    (event.id ?? '').padEnd(10),
    where.padEnd(16),
    state.padEnd(22),
    summarizeEvent(event),
  ]
    .join('  ')
    .trimEnd();
}

/** `toolflight replay FILE`: the timeline with the machine state after each event, then the projection. */
export const replay: Command = (args, io: CliIo) => {
  const parsed = parseCommandArgs('replay', USAGE, io, {
    args: [...args],
    allowPositionals: true,
    options: {
      until: { type: 'string' },
      capture: { type: 'string' },
      json: { type: 'boolean' },
      host: { type: 'string' },
      log: { type: 'string' },
      prefix: { type: 'string' },
    },
  });
  if (typeof parsed === 'number') return parsed;
  const [file, ...extra] = parsed.positionals;
  if (file === undefined || extra.length > 0) {
    io.err(`toolflight replay: give exactly one recording file\n${USAGE}`);
    return 2;
  }
  const until = parsed.values.until === undefined ? Infinity : Number(parsed.values.until);
  if (!(until === Infinity || (Number.isSafeInteger(until) && until > 0))) {
    io.err(
      `toolflight replay: --until takes a seq (a positive integer), got ${JSON.stringify(parsed.values.until)}`,
    );
    return 2;
  }
  const only = parsed.values.capture;
  const json = parsed.values.json === true;
  const { host, log: logId, prefix } = parsed.values;
  const fromStream = streamCommand(
    'replay',
    file,
    USAGE,
    { host, log: logId, capture: only, prefix, json, ...(until === Infinity ? {} : { until }) },
    io,
  );
  if (fromStream !== undefined) return fromStream;

  const log = openCliLog(file, io);
  let firstAt: number | undefined;
  const onStep = (step: ReplayStep): void => {
    firstAt ??= step.event.at;
    if (only !== undefined && step.event.capture !== only) return;
    io.out(timelineLine(step, firstAt));
    for (const violation of step.violations) io.out(`${' '.repeat(8)}!! ${violation.message}`);
  };
  const result = replayLog(log.events, {
    until,
    locate: log.where,
    ...(json ? {} : { onStep }),
    // Nobody reads the timeline any more (`| head`): stop reading the file.
    ...(io.stdoutClosed ? { signal: io.stdoutClosed } : {}),
  });
  log.done();

  const captures = result.snapshot.captures.filter(
    (capture) => only === undefined || capture.key === only,
  );
  const { events, lastSeq, violations, violationCount } = result;
  if (json) {
    io.out(
      JSON.stringify(
        { file, events, lastSeq, violations, violationCount, problems: log.problems, captures },
        null,
        2,
      ),
    );
  } else {
    io.out(`\n${events} events, last seq ${lastSeq}; live at the end:`);
    if (captures.length === 0) io.out('  (nothing live)');
    for (const capture of captures) {
      io.out(
        `  ${capture.key} gen ${capture.gen}${capture.current ? '' : ' (replaced)'}: in flight ${capture.inFlight} · activity ${capture.activityVersion}`,
      );
      for (const request of capture.requests)
        io.out(`    ${request.id.padEnd(10)} request    ${request.state}`);
      for (const call of capture.toolCalls) {
        io.out(
          `    ${call.id.padEnd(10)} ${call.toolName.padEnd(10)} ${call.state}${call.outcome ? `, ${call.outcome}` : ''}`,
        );
      }
    }
  }
  return reportFindings(file, io, log.problems, result);
};
