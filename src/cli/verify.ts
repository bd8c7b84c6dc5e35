import type { Violation } from '../index.js';
import { createLogChecker } from '../replay/logChecker.js';
import type { CliIo, Command } from './io.js';
import { parseCommandArgs } from './parseCommandArgs.js';
import { openCliLog } from './readLog.js';
import { reportFindings } from './reportFindings.js';

const USAGE = 'usage: toolflight verify FILE [--json]';

/** `toolflight verify FILE`: check every event of a recording against the machines. */
export const verify: Command = (args, io: CliIo) => {
  const parsed = parseCommandArgs('verify', USAGE, io, {
    args: [...args],
    allowPositionals: true,
    options: { json: { type: 'boolean' } },
  });
  if (typeof parsed === 'number') return parsed;
  const [file, ...extra] = parsed.positionals;
  if (file === undefined || extra.length > 0) {
    io.err(`toolflight verify: give exactly one recording file\n${USAGE}`);
    return 2;
  }
  const log = openCliLog(file, io);
  const checker = createLogChecker();
  const violations: Violation[] = [];
  let events = 0;
  for (const event of log.events) {
    events += 1;
    violations.push(...checker.apply(event));
  }
  log.done();
  const valid = log.problems.length === 0 && violations.length === 0;
  if (parsed.values.json === true) {
    io.out(
      JSON.stringify(
        { file, events, lastSeq: checker.state.seq, valid, violations, problems: log.problems },
        null,
        2,
      ),
    );
  } else if (valid) {
    io.out(`${file}: ${events} events, seq 1 to ${checker.state.seq}: valid`);
  }
  return reportFindings(file, io, log.problems, violations);
};
