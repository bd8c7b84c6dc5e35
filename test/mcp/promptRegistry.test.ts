import { describe, expect, it } from 'vitest';

import { LoopbackError } from '../../src/mcp/loopback/LoopbackError.js';
import type { LoopbackPrompt } from '../../src/mcp/loopback/LoopbackPrompt.js';
import { PromptRegistry } from '../../src/mcp/loopback/promptRegistry.js';

const get: LoopbackPrompt['get'] = () => ({ messages: [] });
const prompt = (name: string, extra: Partial<LoopbackPrompt> = {}): LoopbackPrompt => ({
  name,
  get,
  ...extra,
});

/** The `LoopbackError` that `set(prompts)` throws, as `{ code, message }`. */
function refusal(prompts: unknown): { code: string; message: string } {
  try {
    new PromptRegistry().set(prompts as LoopbackPrompt[]);
  } catch (error) {
    expect(error).toBeInstanceOf(LoopbackError);
    const { code, message } = error as LoopbackError;
    return { code, message };
  }
  throw new Error('set accepted the prompts');
}

describe('PromptRegistry: validation', () => {
  it.each([
    ['not an array', 'nope', 'prompts must be an array of prompt definitions'],
    ['a missing name', [{ get }], 'prompt #0 needs a name of 1 to 128 characters'],
    ['an empty name', [prompt('')], 'prompt #0 needs a name of 1 to 128 characters'],
    ['a name over 128', [prompt('x'.repeat(129))], 'needs a name of 1 to 128 characters'],
    ['a null entry', [null], 'prompt #0 needs a name'],
    [
      'a duplicate name',
      [prompt('a'), prompt('a')],
      'prompt "a" is registered twice: prompt names must be unique',
    ],
    ['no get', [{ name: 'a' }], 'prompt "a" needs a get function'],
    [
      'arguments not an array',
      [prompt('a', { arguments: {} as never })],
      'prompt "a" has arguments that are not an array',
    ],
    [
      'an argument without a name',
      [prompt('a', { arguments: [{ name: 'x' }, { name: '' }] })],
      'prompt "a" needs a non-empty name for argument #1',
    ],
    [
      'a duplicate argument',
      [prompt('a', { arguments: [{ name: 'x' }, { name: 'x' }] })],
      'prompt "a" has argument "x" twice',
    ],
    [
      'a complete that is not a function',
      [prompt('a', { arguments: [{ name: 'x', complete: 'nope' as never }] })],
      'prompt "a" has argument "x" whose complete is not a function',
    ],
    [
      'a title that is not a string',
      [prompt('a', { title: 7 as never })],
      'prompt "a" has an invalid title',
    ],
    [
      'an argument whose required is not a boolean',
      [prompt('a', { arguments: [{ name: 'x', required: 'yes' as never }] })],
      'prompt "a" has an invalid arguments.0.required',
    ],
  ])('refuses %s with invalid_prompt saying what to fix', (_, prompts, message) => {
    const error = refusal(prompts);
    expect(error.code).toBe('invalid_prompt');
    expect(error.message).toContain(message);
  });

  it('names the index of the offending prompt when it has no usable name', () => {
    expect(refusal([prompt('a'), prompt('b'), { get }]).message).toContain('prompt #2');
  });

  it('keeps the previous set when a new one is refused (set is atomic)', () => {
    const registry = new PromptRegistry();
    registry.set([prompt('a')]);
    expect(() => registry.set([prompt('b'), prompt('b')])).toThrow(LoopbackError);
    expect(registry.prompts.map((p) => p.name)).toEqual(['a']);
    expect(registry.lookup('b', true)).toBe('unknown');
  });

  it('accepts a name of exactly 128 characters of any kind', () => {
    const name = 'é'.repeat(128);
    expect(() => new PromptRegistry().set([prompt(name)])).not.toThrow();
  });
});

describe('PromptRegistry: audiences', () => {
  const registry = new PromptRegistry();
  registry.set([
    prompt('public', {
      title: 'Public',
      arguments: [{ name: 'topic', required: true, complete: () => [] }],
    }),
    prompt('secret', { ownerOnly: true, description: 'owner only' }),
  ]);

  it('lists only the fields given, without get, complete or ownerOnly', () => {
    expect(registry.list(true)).toEqual([
      { name: 'public', title: 'Public', arguments: [{ name: 'topic', required: true }] },
      { name: 'secret', description: 'owner only' },
    ]);
  });

  it('hides owner-only prompts from a non-owner', () => {
    expect(registry.list(false).map((p) => p.name)).toEqual(['public']);
  });

  it('looks up a prompt, telling unknown from owner-only for the host', () => {
    expect(registry.lookup('public', false)).toMatchObject({ name: 'public' });
    expect(registry.lookup('secret', true)).toMatchObject({ name: 'secret' });
    expect(registry.lookup('secret', false)).toBe('owner_only');
    expect(registry.lookup('nope', true)).toBe('unknown');
    expect(registry.lookup('toString', true)).toBe('unknown');
  });
});

describe('PromptRegistry: change detection', () => {
  it('reports a change only to the audiences whose list changed', () => {
    const registry = new PromptRegistry();
    expect(registry.set([prompt('a')])).toEqual({ owner: true, nonOwner: true });
    expect(registry.set([prompt('a'), prompt('s', { ownerOnly: true })])).toEqual({
      owner: true,
      nonOwner: false,
    });
    expect(
      registry.set([prompt('a', { description: 'd' }), prompt('s', { ownerOnly: true })]),
    ).toEqual({ owner: true, nonOwner: true });
  });

  it('reports no change for the same prompts in another order or with other callbacks', () => {
    const registry = new PromptRegistry();
    registry.set([prompt('a'), prompt('b')]);
    const other: LoopbackPrompt['get'] = () => ({ messages: [] });
    expect(registry.set([prompt('b', { get: other }), prompt('a')])).toEqual({
      owner: false,
      nonOwner: false,
    });
    expect(registry.prompts.map((p) => p.name)).toEqual(['b', 'a']);
  });
});
