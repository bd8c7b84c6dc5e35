import { ToolflightError } from '../errors.js';
import type { ToolflightEvent } from '../events/types.js';
import { createLogChecker } from '../replay/logChecker.js';
import type { CapturesState } from '../projections/captureRecords.js';

/** Where a tracker that continues a history goes on counting. */
export interface Continuation {
  readonly generations: number;
  /** The highest `rq_N` and `tc_N` numbers used, so that default ids do not collide. */
  readonly ids: { readonly rq: number; readonly tc: number };
}

const numbered = (id: string, prefix: string): number => {
  if (!id.startsWith(prefix)) return 0;
  const n = Number(id.slice(prefix.length));
  return Number.isSafeInteger(n) ? n : 0;
};

/**
 * @internal Fold a history into a tracker's projection (whose record factory makes handles),
 * verifying it; throws on the first rule it breaks. Afterwards the id index is dropped: the
 * tracker holds the records from then on.
 */
export function hydrate(state: CapturesState, history: Iterable<ToolflightEvent>): Continuation {
  const checker = createLogChecker({ state });
  let generations = 0;
  let rq = 0;
  let tc = 0;
  for (const event of history) {
    const [problem] = checker.apply(event);
    if (problem) {
      throw new ToolflightError(
        'invalid_argument',
        `the history is not a valid log: ${problem.message}. Verify it with \`toolflight verify\``,
      );
    }
    if (event.type === 'capture.begun') generations = Math.max(generations, event.gen);
    if (event.type === 'request.started') rq = Math.max(rq, numbered(event.id, 'rq_'));
    if (event.type === 'toolCall.started') tc = Math.max(tc, numbered(event.id, 'tc_'));
  }
  state.entities = undefined;
  return { generations, ids: { rq, tc } };
}
