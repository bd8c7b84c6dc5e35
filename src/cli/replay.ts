import { requestTable, toolCallTable, type TransitionTable } from '../../machines/index.js';
import {
  snapshotCaptures,
  type CapturesState,
  type ToolflightEvent,
  type Violation,
} from '../index.js';
import { createLogChecker } from '../replay/logChecker.js';
import type { CliIo, Command } from './io.js';
import { parseCommandArgs } from './parseCommandArgs.js';
import { openCliLog } from './readLog.js';
import { reportFindings } from './reportFindings.js';

const USAGE = 'usage: toolflight replay FILE [--until SEQ] [--capture KEY] [--json]';

/** A state name with its flags: `prepared (resulted)`. */
function stateName(table: TransitionTable, index: number): string {
  const state = table.states[index]!;
  const flags = Object.entries(state.context)
    .filter(([, on]) => on === true)
    .map(([flag]) => flag);
  return flags.length ? `${state.value} (${flags.join(', ')})` : state.value;
}

/** The machine state an event left its entity (or capture) in. */
function stateAfter(event: ToolflightEvent, state: CapturesState): string {
  switch (event.type) {
    case 'capture.begun':
      return 'active';
    case 'capture.cleared':
      return 'cleared';
    case 'request.finished':
    case 'toolCall.finished':
      return event.type === 'toolCall.finished' && event.data.prepared
        ? 'finished (prepared)'
        : 'finished';
    default: {
      const entity = event.id === undefined ? undefined : state.entities?.get(event.id);
      if (!entity) return '';
      return entity.kind === 'request'
        ? stateName(requestTable, entity.stateIndex)
        : stateName(toolCallTable, entity.stateIndex);
    }
  }
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

  const log = openCliLog(file, io);
  const checker = createLogChecker();
  const violations: Violation[] = [];
  let events = 0;
  let lastSeq = 0;
  let firstAt: number | undefined;
  for (const event of log.events) {
    if (event.seq > until) break;
    const found = checker.apply(event);
    violations.push(...found);
    events += 1;
    lastSeq = event.seq;
    firstAt ??= event.at;
    if (json || (only !== undefined && event.capture !== only)) continue;
    const where = event.capture === undefined ? '' : `${event.capture}#${event.gen ?? ''}`;
    io.out(
      [
        String(event.seq).padStart(6),
        `+${event.at - firstAt} ms`.padStart(11),
        event.type.padEnd(18),
        (event.id ?? '').padEnd(10),
        where.padEnd(16),
        found.some((v) => v.rule !== 'seq-gap' && v.rule !== 'seq-start')
          ? '!! refused'
          : stateAfter(event, checker.state),
      ].join('  '),
    );
    for (const violation of found) io.out(`${' '.repeat(8)}!! ${violation.message}`);
  }
  log.done();

  const captures = snapshotCaptures(checker.state).captures.filter(
    (capture) => only === undefined || capture.key === only,
  );
  if (json) {
    io.out(
      JSON.stringify(
        { file, events, lastSeq, violations, problems: log.problems, captures },
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
  return reportFindings(file, io, log.problems, violations);
};
