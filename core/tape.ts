/**
 * The reverse-mode tape. While a transform runs its function, every op whose input is traced on a tape
 * appends one node to that tape; `backward` (backward.ts) walks the nodes once, newest first, with no
 * recursion. A tape lives for one transform call only. Several tapes record at once when transforms
 * nest; each knows only the tensors it watched and what was computed from them, so they never mix.
 */
import type { Tensor } from "./tensor.ts";

/** A vector-Jacobian product for one input: cotangent of the output → cotangent of that input, written with ops. */
export type Vjp<P> = (g: Tensor, inputs: readonly Tensor[], output: Tensor, params: P) => Tensor;

export interface TapeNode {
  readonly name: string;
  readonly vjps: readonly Vjp<unknown>[];
  readonly inputs: readonly Tensor[];
  readonly output: Tensor;
  readonly params: unknown;
  /** Each input's slot on this tape, -1 where the input is not traced here. */
  readonly inSlots: readonly number[];
  readonly outSlot: number;
}

export class Tape {
  readonly nodes: TapeNode[] = [];
  private readonly slots = new Map<Tensor, number>();

  /** Marks `t` as traced on this tape; returns its slot. */
  watch(t: Tensor): number {
    const existing = this.slots.get(t);
    if (existing !== undefined) return existing;
    const slot = this.slots.size;
    this.slots.set(t, slot);
    return slot;
  }

  /** The slot of a traced tensor, or undefined. */
  slotOf(t: Tensor): number | undefined {
    return this.slots.get(t);
  }

  get slotCount(): number {
    return this.slots.size;
  }

  record(name: string, vjps: readonly Vjp<unknown>[], inputs: readonly Tensor[], output: Tensor, params: unknown): void {
    let traced = false;
    const inSlots: number[] = new Array(inputs.length);
    for (let i = 0; i < inputs.length; i++) {
      const s = this.slots.get(inputs[i]);
      inSlots[i] = s === undefined ? -1 : s;
      if (s !== undefined) traced = true;
    }
    if (!traced) return;
    this.nodes.push({ name, vjps, inputs, output, params, inSlots, outSlot: this.watch(output) });
  }
}

let active: Tape[] = [];

/** The tapes recording now, outermost first. */
export function activeTapes(): readonly Tape[] {
  return active;
}

export function pushTape(t: Tape): void {
  active = [...active, t];
}

export function popTape(t: Tape): void {
  active = active.filter((x) => x !== t);
}
