import type { ReplayResult, Violation } from '../index.js';
import type { RecordingProblem } from '../store/index.js';
import type { CliIo } from './io.js';

const SHOWN = 20;

/** A violation as a person reads it: `FILE:LINE: seq N (…): why`. */
export const placed = (file: string, violation: Violation): string =>
  `${violation.source ?? file}${violation.line === undefined ? '' : `:${violation.line}`}: ${violation.message}`;

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

/** Print a broken log's problems and violations on stderr; the exit code (1 when broken). */
export function reportFindings(
  file: string,
  io: CliIo,
  problems: readonly RecordingProblem[],
  result: ReplayResult,
): number {
  const total = problems.length + result.violationCount;
  if (total === 0) return 0;
  const lines = [
    ...problems.map((problem) => problem.message),
    ...result.violations.map((violation) => placed(file, violation)),
  ];
  for (const line of lines.slice(0, SHOWN)) io.err(line);
  if (total > SHOWN) io.err(`… and ${total - Math.min(SHOWN, lines.length)} more`);
  io.err(
    `${file}: the log is broken: ${plural(problems.length, 'unreadable line')}, ${plural(result.violationCount, 'machine violation')}`,
  );
  return 1;
}
