import { replay } from '../index.js';
import type { CliIo, Command } from './io.js';
import { parseCommandArgs } from './parseCommandArgs.js';
import { openCliLog } from './readLog.js';
import { reportFindings } from './reportFindings.js';
import { streamCommand } from './natsLog.js';

const USAGE = [
  'usage: toolflight verify FILE [--json]',
  '       toolflight verify nats://[USER:PASS@]HOST:PORT/STREAM [--host H] [--log L] [--prefix P] [--json]',
  '',
  'Check every event of a recording (JSONL or SQLite) against the machines; exit 1 with the',
  "file, line, seq, entity and rule of each problem. A nats:// URL checks every host's log",
  'shipped to a JetStream stream, each on its own (its own gapless seq).',
  '',
  'options:',
  '  --host H    (nats://) only host H',
  '  --log L     (nats://) only log L',
  '  --prefix P  (nats://) the subject prefix the hosts ship under (default toolflight)',
  '  --json      one JSON object: file, events, lastSeq (the last seq read), valid,',
  '              violations (the first 1000), violationCount, problems',
  '  -h, --help  show this help',
].join('\n');

/** `toolflight verify FILE`: check every event of a recording against the machines. */
export const verify: Command = (args, io: CliIo) => {
  const parsed = parseCommandArgs('verify', USAGE, io, {
    args: [...args],
    allowPositionals: true,
    options: {
      json: { type: 'boolean' },
      host: { type: 'string' },
      log: { type: 'string' },
      prefix: { type: 'string' },
    },
  });
  if (typeof parsed === 'number') return parsed;
  const [file, ...extra] = parsed.positionals;
  if (file === undefined || extra.length > 0) {
    io.err(`toolflight verify: give exactly one recording file\n${USAGE}`);
    return 2;
  }
  const { host, log: logId, prefix } = parsed.values;
  const json = parsed.values.json === true;
  const fromStream = streamCommand('verify', file, USAGE, { host, log: logId, prefix, json }, io);
  if (fromStream !== undefined) return fromStream;
  const log = openCliLog(file, io);
  const result = replay(log.events, { locate: log.where });
  log.done();
  const { events, lastSeq, violations, violationCount } = result;
  const valid = log.problems.length === 0 && violationCount === 0;
  if (json) {
    io.out(
      JSON.stringify(
        { file, events, lastSeq, valid, violations, violationCount, problems: log.problems },
        null,
        2,
      ),
    );
  } else if (valid) {
    io.out(`${file}: ${events} events${events === 0 ? '' : `, seq 1 to ${lastSeq}`}: valid`);
  }
  return reportFindings(file, io, log.problems, result);
};
