import { setup } from 'xstate';

/** Events an HTTP request accepts once it has been admitted. */
export type RequestMachineEvent = { type: 'CLASSIFY' } | { type: 'FINISH' };

/**
 * One HTTP request to an MCP endpoint.
 *
 * It starts before its body is read (an upload in progress is in flight), is classified once its
 * JSON-RPC method is known, and finishes exactly once. Finishing from `started` classifies it
 * implicitly.
 */
export const requestMachine = setup({
  types: { events: {} as RequestMachineEvent },
}).createMachine({
  id: 'request',
  initial: 'started',
  states: {
    started: {
      on: {
        CLASSIFY: 'classified',
        FINISH: 'finished',
      },
    },
    classified: {
      on: { FINISH: 'finished' },
    },
    finished: { type: 'final' },
  },
});
