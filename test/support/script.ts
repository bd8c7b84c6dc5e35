import type { Tracker } from '../../src/index.js';

/** A small deterministic PRNG (mulberry32) so scripted runs are reproducible from a seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Drive `calls` tool calls (each in its own request) across `captures` captures, interleaving
 * every step in an order drawn from `seed`. Returns how many requests and calls were admitted.
 */
export function interleavedRun(
  tracker: Tracker,
  { captures, calls, seed }: { captures: number; calls: number; seed: number },
): { requests: number; calls: number } {
  const random = prng(seed);
  for (let c = 0; c < captures; c++) tracker.beginCapture(`run-${c}`);
  type Step = () => void;
  const pending: Step[][] = [];
  for (let i = 0; i < calls; i++) {
    const key = `run-${i % captures}`;
    const request = tracker.requestStarted(key);
    let call: ReturnType<Tracker['toolCallStarted']>;
    pending.push([
      () => tracker.requestClassified(request, { method: 'tools/call' }),
      () => (call = tracker.toolCallStarted({ request, toolName: `tool-${i % 7}`, args: { i } })),
      () => random() < 0.5 && tracker.toolCallPrepared(call, { args: { i, hooked: true } }),
      () => tracker.toolCallResult(call, { outcome: 'completed', isError: false, result: i }),
      () => tracker.toolCallFinished(call),
      () => tracker.requestFinished(request, { status: 200 }),
    ]);
  }
  while (pending.length > 0) {
    const index = Math.floor(random() * pending.length);
    const steps = pending[index]!;
    steps.shift()!();
    if (steps.length === 0) pending.splice(index, 1);
  }
  return { requests: calls, calls };
}
