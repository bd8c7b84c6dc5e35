// @internal The capture generations the projection has seen: each one's in-flight count (the
// `toolflight.inflight` gauge), kept while it is its key's current one or has work followed.
import type { Generation } from './entries.js';

export class Generations {
  private readonly byGen = new Map<number, Generation>();
  private readonly currentOf = new Map<string, Generation>();

  /** The generation, made when first seen (at `capture.begun`, or its first entity event). */
  of(capture: string, gen: number): Generation {
    let generation = this.byGen.get(gen);
    if (generation !== undefined && generation.capture === capture) return generation;
    generation = { capture, gen, current: true, inFlight: 0, followed: 0 };
    this.byGen.set(gen, generation);
    // Followed from the middle of a log, a generation is first seen at its first entity event:
    // the key's newest one is its current one.
    const current = this.currentOf.get(capture);
    if (current === undefined || current.gen <= gen) {
      this.currentOf.set(capture, generation);
      if (current !== undefined && current !== generation) {
        current.current = false;
        this.retire(current);
      }
    } else {
      generation.current = false;
    }
    return generation;
  }

  /** The generation, if it is known under this capture key. */
  find(capture: string, gen: number): Generation | undefined {
    const generation = this.byGen.get(gen);
    return generation?.capture === capture ? generation : undefined;
  }

  /** `capture.cleared`: the generation is gone. */
  drop(generation: Generation): void {
    if (this.byGen.get(generation.gen) === generation) this.byGen.delete(generation.gen);
    if (this.currentOf.get(generation.capture) === generation) {
      this.currentOf.delete(generation.capture);
    }
  }

  /** Forget a generation that is not its key's current one once nothing of it is open. */
  retire(generation: Generation): void {
    if (!generation.current && generation.inFlight <= 0 && generation.followed <= 0) {
      if (this.byGen.get(generation.gen) === generation) this.byGen.delete(generation.gen);
    }
  }

  /** The projection ended: nothing is in flight any more (current generations stay, at 0). */
  settle(): void {
    for (const generation of this.byGen.values()) {
      generation.inFlight = 0;
      this.retire(generation);
    }
  }

  /** Requests and tool calls started and not finished, per capture key. */
  inFlight(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const { capture, inFlight } of this.byGen.values()) {
      counts.set(capture, (counts.get(capture) ?? 0) + inFlight);
    }
    return counts;
  }
}
