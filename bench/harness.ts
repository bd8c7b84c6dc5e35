/** One figure a benchmark reports, printed as JSON with `--json`. */
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';

/** The `initialize` a bench's raw agent sends to open its session. */
export const INITIALIZE_REQUEST = {
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: {
    protocolVersion: LATEST_PROTOCOL_VERSION,
    capabilities: {},
    clientInfo: { name: 'bench-agent', version: '1' },
  },
} as const;

export interface Metric {
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
  /** The target as the issue states it, e.g. "<= 3". */
  readonly target: string;
}

/** A benchmark: prints its own human lines through `log`, returns its metrics. */
export interface Bench {
  readonly name: string;
  readonly description: string;
  run(log: (line: string) => void): Promise<Metric[]> | Metric[];
}

/**
 * Run `body` `count` times and return operations per CPU second of this process.
 *
 * CPU time rather than wall time: on a shared VM, time stolen by the hypervisor shows up in the
 * wall clock of whichever side happens to run then, and swings same-run ratios by 2x.
 */
export function rate(count: number, body: (i: number) => void): number {
  const start = process.cpuUsage();
  for (let i = 0; i < count; i++) body(i);
  const used = process.cpuUsage(start);
  return count / ((used.user + used.system) / 1e6);
}

/** The median of a list of numbers. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Force a full collection; the bench runner starts node with --expose-gc. */
export function collect(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run benchmarks with `npm run bench` (node --expose-gc)');
  for (let i = 0; i < 3; i++) gc();
}

/** Format a number with thousands separators. */
export const fmt = (n: number, digits = 0): string =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** The value at fraction `p` (0 to 1) of a list of numbers, by rank. */
export const percentile = (values: readonly number[], p: number): number =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))]!;

/** `list` rotated left by `by`: each round starts with another target, so noise hits all alike. */
export const rotate = <T>(list: readonly T[], by: number): T[] => [
  ...list.slice(by % list.length),
  ...list.slice(0, by % list.length),
];
