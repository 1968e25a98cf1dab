/**
 * The reverse-mode tape. While a transform runs its function, every op whose input is traced
 * appends one node; backward walks the nodes once, newest first, with no recursion.
 * A tape lives for one transform call only; tapes of nested calls never mix.
 */
import { kernels } from "./kernels/backend.ts";
import { Tensor, allocate, sameShape, shapeString } from "./tensor.ts";

/** A vector-Jacobian product for one input: cotangent of the output → cotangent of that input. */
export type Vjp<P> = (g: Tensor, inputs: readonly Tensor[], output: Tensor, params: P) => Tensor;

interface Node {
  readonly name: string;
  readonly vjps: readonly Vjp<unknown>[];
  readonly inputs: readonly Tensor[];
  readonly output: Tensor;
  readonly params: unknown;
  readonly inSlots: readonly number[];
  readonly outSlot: number;
}

export class Tape {
  private readonly nodes: Node[] = [];
  private readonly slots = new Map<Tensor, number>();

  /** Marks `t` as an input to differentiate with respect to; returns its slot. */
  watch(t: Tensor): number {
    const existing = this.slots.get(t);
    if (existing !== undefined) return existing;
    const slot = this.slots.size;
    this.slots.set(t, slot);
    return slot;
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

  /** Gradients of the scalar `output` with respect to `wrt` (zeros where nothing connects them). */
  backward(output: Tensor, wrt: readonly Tensor[]): Tensor[] {
    const cot: (Tensor | undefined)[] = new Array(this.slots.size);
    const outSlot = this.slots.get(output);
    if (outSlot !== undefined) {
      const one = allocate(output.dtype, output.size);
      one.fill(1);
      cot[outSlot] = new Tensor(output.shape, one);
    }
    const saved = pauseRecording();
    try {
      for (let n = this.nodes.length - 1; n >= 0; n--) {
        const node = this.nodes[n];
        const g = cot[node.outSlot];
        if (g === undefined) continue;
        cot[node.outSlot] = undefined; // let it be collected: nothing upstream reads it again
        for (let i = 0; i < node.inputs.length; i++) {
          const slot = node.inSlots[i];
          if (slot < 0) continue;
          const c = node.vjps[i](g, node.inputs, node.output, node.params);
          if (!sameShape(c.shape, node.inputs[i].shape)) {
            throw new Error(`${node.name}: gradient rule for input ${i} gave ${shapeString(c.shape)}, input is ${shapeString(node.inputs[i].shape)}`);
          }
          const prev = cot[slot];
          cot[slot] = prev === undefined ? c : accumulate(prev, c);
        }
      }
    } finally {
      resumeRecording(saved);
    }
    return wrt.map((t) => {
      const s = this.slots.get(t);
      const g = s === undefined ? undefined : cot[s];
      return g ?? new Tensor(t.shape, allocate(t.dtype, t.size));
    });
  }
}

function accumulate(a: Tensor, b: Tensor): Tensor {
  const out = allocate(a.dtype, a.size);
  kernels().binary("add", a.data, b.data, out);
  return new Tensor(a.shape, out);
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

function pauseRecording(): Tape[] {
  const saved = active;
  active = [];
  return saved;
}

function resumeRecording(saved: Tape[]): void {
  active = saved;
}
