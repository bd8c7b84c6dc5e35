import { setup } from 'xstate';

/** Events a capture generation accepts: admitting work, a yield from the agent, and clearing. */
export type CaptureMachineEvent = { type: 'ADMIT' } | { type: 'YIELD' } | { type: 'CLEAR' };

/**
 * One generation of a capture key: `active` until the host clears it.
 *
 * Reusing a key begins a new generation (a new actor of this machine); the old one keeps serving
 * the handles it admitted. Admission and yields are self-transitions so that "nothing for a
 * cleared capture" is the machine's rule, not a flag.
 */
export const captureMachine = setup({
  types: { events: {} as CaptureMachineEvent },
  // The tracker performs these effects; naming them here marks the self-transitions as taken
  // (in XState 5 an empty transition `{}` forbids the event instead).
  actions: {
    admitWork: () => {},
    deliverYield: () => {},
  },
}).createMachine({
  id: 'capture',
  initial: 'active',
  states: {
    active: {
      on: {
        ADMIT: { actions: 'admitWork' },
        YIELD: { actions: 'deliverYield' },
        CLEAR: 'cleared',
      },
    },
    cleared: { type: 'final' },
  },
});
