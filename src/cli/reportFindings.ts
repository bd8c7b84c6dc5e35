import type { Violation } from '../index.js';
import type { RecordingProblem } from '../store/index.js';
import type { CliIo } from './io.js';

const SHOWN = 20;

/** Print a broken log's problems and violations on stderr; the exit code (1 when broken). */
export function reportFindings(
  file: string,
  io: CliIo,
  problems: readonly RecordingProblem[],
  violations: readonly Violation[],
): number {
  if (problems.length === 0 && violations.length === 0) return 0;
  const lines = [
    ...problems.map((p) => p.message),
    ...violations.map((v) => `${file}: ${v.message}`),
  ];
  for (const line of lines.slice(0, SHOWN)) io.err(line);
  if (lines.length > SHOWN) io.err(`… and ${lines.length - SHOWN} more`);
  io.err(
    `${file}: the log is broken: ${problems.length} unreadable line${problems.length === 1 ? '' : 's'}, ${violations.length} machine violation${violations.length === 1 ? '' : 's'}`,
  );
  return 1;
}
