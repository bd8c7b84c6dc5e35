import { readFileSync } from 'node:fs';

import {
  transition,
  initialTransition,
  type AnyMachineSnapshot,
  type AnyStateMachine,
} from 'xstate';
import { getSimplePaths } from 'xstate/graph';
import { describe, expect, it } from 'vitest';

import { GENERATED_FILE, generatedSource } from './generateTables.js';

import {
  captureMachine,
  captureTable,
  compileMachine,
  requestMachine,
  requestTable,
  toolCallMachine,
  toolCallTable,
  type TransitionTable,
} from '../machines/index.js';

interface Model {
  readonly name: string;
  readonly machine: AnyStateMachine;
  readonly table: TransitionTable;
}

const models: Model[] = [
  { name: 'capture', machine: captureMachine, table: captureTable },
  { name: 'request', machine: requestMachine, table: requestTable },
  { name: 'toolCall', machine: toolCallMachine, table: toolCallTable },
];

/** Every simple path, offering every event in every state (refused ones included). */
function pathsOf({ machine, table }: Model) {
  return getSimplePaths(machine, { events: table.events.map((type) => ({ type })) });
}

/** Walk a path through xstate and through the table side by side; return the table states. */
function walk(model: Model, events: readonly string[]): number[] {
  const { machine, table } = model;
  let [snapshot] = initialTransition(machine) as [AnyMachineSnapshot, unknown];
  let state = table.initial;
  const visited = [state];
  for (const type of events) {
    const accepted = snapshot.status === 'active' && snapshot.can({ type });
    const next = table.step(state, table.eventIndex(type));
    expect(next >= 0, `${model.name}: ${type} from ${table.states[state]!.value}`).toBe(accepted);
    if (accepted) {
      [snapshot] = transition(machine, snapshot, { type }) as [AnyMachineSnapshot, unknown];
      state = next;
    }
    const expected = table.states[state]!;
    expect(snapshot.value).toBe(expected.value);
    expect(snapshot.context ?? {}).toEqual(expected.context);
    expect(snapshot.status === 'done').toBe(expected.final);
    visited.push(state);
  }
  return visited;
}

describe('machine transition tables', () => {
  for (const model of models) {
    it(`${model.name}: the table agrees with xstate's transition on every simple path`, () => {
      const paths = pathsOf(model);
      expect(paths.length).toBeGreaterThan(1);
      for (const path of paths) {
        // Each path, then every event once more from its end (refusals included).
        const events = path.steps.slice(1).map((step) => (step.event as { type: string }).type);
        for (const extra of model.table.events) walk(model, [...events, extra, extra]);
      }
    });

    it(`${model.name}: the table reaches exactly the snapshots xstate reaches`, () => {
      const reached = new Set(
        pathsOf(model).map((path) => JSON.stringify([path.state.value, path.state.context ?? {}])),
      );
      const tabled = new Set(model.table.states.map((s) => JSON.stringify([s.value, s.context])));
      expect(tabled).toEqual(reached);
    });

    it(`${model.name}: a final state refuses every event`, () => {
      model.table.states.forEach((state, index) => {
        if (!state.final) return;
        for (let e = 0; e < model.table.events.length; e++) {
          expect(model.table.step(index, e)).toBe(-1);
        }
      });
    });
  }

  it('toolCall: every path finishes at most once and remembers whether it was prepared', () => {
    const model = models[2]!;
    const FINISH = toolCallTable.eventIndex('FINISH');
    for (const path of pathsOf(model)) {
      const events = path.steps.slice(1).map((step) => (step.event as { type: string }).type);
      const states = walk(model, [...events, 'FINISH', 'FINISH', 'PREPARE', 'RESULT']);
      const finals = states.filter((s) => toolCallTable.states[s]!.final);
      // Once final, it stays in that one final state.
      expect(new Set(finals).size).toBeLessThanOrEqual(1);
      const firstFinal = states.findIndex((s) => toolCallTable.states[s]!.final);
      expect(firstFinal).toBeGreaterThan(0);
      const before = toolCallTable.states[states[firstFinal - 1]!]!;
      const after = toolCallTable.states[states[firstFinal]!]!;
      expect(after.context.prepared).toBe(before.context.prepared);
      expect(toolCallTable.step(states[firstFinal]!, FINISH)).toBe(-1);
    }
  });

  it('toolCall: a result is recorded once, and prepare is refused after it', () => {
    const started = toolCallTable.initial;
    const RESULT = toolCallTable.eventIndex('RESULT');
    const PREPARE = toolCallTable.eventIndex('PREPARE');
    const resulted = toolCallTable.step(started, RESULT);
    expect(resulted).toBeGreaterThanOrEqual(0);
    expect(toolCallTable.step(resulted, RESULT)).toBe(-1);
    expect(toolCallTable.step(resulted, PREPARE)).toBe(-1);
  });

  it('request: finishing from started is allowed and classifying twice is not', () => {
    const CLASSIFY = requestTable.eventIndex('CLASSIFY');
    const FINISH = requestTable.eventIndex('FINISH');
    expect(requestTable.states[requestTable.step(requestTable.initial, FINISH)]!.value).toBe(
      'finished',
    );
    const classified = requestTable.step(requestTable.initial, CLASSIFY);
    expect(requestTable.step(classified, CLASSIFY)).toBe(-1);
  });

  it('capture: nothing is admitted or yielded once cleared', () => {
    const cleared = captureTable.step(captureTable.initial, captureTable.eventIndex('CLEAR'));
    expect(captureTable.states[cleared]!.final).toBe(true);
    expect(captureTable.step(cleared, captureTable.eventIndex('ADMIT'))).toBe(-1);
    expect(captureTable.step(cleared, captureTable.eventIndex('YIELD'))).toBe(-1);
  });

  it('reads tables and graphs generated from the machines as they are: a machine edited without `npm run tables` fails here', async () => {
    expect(readFileSync(GENERATED_FILE, 'utf8')).toBe(await generatedSource());
  });

  it('compileMachine rejects an event the table was not built with', () => {
    expect(() => requestTable.eventIndex('PREPARE' as never)).toThrow(/no event PREPARE/);
    expect(compileMachine(requestMachine, ['FINISH']).events).toEqual(['FINISH']);
  });
});
