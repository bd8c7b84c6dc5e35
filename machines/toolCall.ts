import { assign, setup } from 'xstate';

/** Events a tool call accepts once it has been started. */
export type ToolCallMachineEvent = { type: 'PREPARE' } | { type: 'RESULT' } | { type: 'FINISH' };

/** What a tool call remembers beyond its state: whether hooks prepared it and a result exists. */
export interface ToolCallMachineContext {
  prepared: boolean;
  resulted: boolean;
}

/**
 * One `tools/call`: `started` -> `prepared` -> `finished`.
 *
 * Hooks may prepare it (final arguments) any number of times until a result is recorded; the
 * result is recorded once, from `started` or `prepared`; it finishes exactly once, with or without
 * preparation, and `prepared` is remembered in the final state.
 */
export const toolCallMachine = setup({
  types: {
    context: {} as ToolCallMachineContext,
    events: {} as ToolCallMachineEvent,
  },
  guards: {
    noResultYet: ({ context }) => !context.resulted,
  },
  actions: {
    markPrepared: assign({ prepared: true }),
    markResulted: assign({ resulted: true }),
  },
}).createMachine({
  id: 'toolCall',
  initial: 'started',
  context: { prepared: false, resulted: false },
  states: {
    started: {
      on: {
        PREPARE: { target: 'prepared', guard: 'noResultYet', actions: 'markPrepared' },
        RESULT: { guard: 'noResultYet', actions: 'markResulted' },
        FINISH: 'finished',
      },
    },
    prepared: {
      on: {
        PREPARE: { guard: 'noResultYet', actions: 'markPrepared' },
        RESULT: { guard: 'noResultYet', actions: 'markResulted' },
        FINISH: 'finished',
      },
    },
    finished: { type: 'final' },
  },
});
