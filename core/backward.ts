/**
 * The backward pass over one tape. Every VJP runs as ordinary ops while the enclosing transforms'
 * tapes keep recording (this tape itself is no longer active), so a gradient is itself differentiable:
 * an outer grad sees the inner one's computation, as in HIPS/autograd's nested tapes.
 */
import { add } from "./ops/elementwise.ts";
import type { Tape } from "./tape.ts";
import { Tensor, sameShape, shapeString, zeros } from "./tensor.ts";

/**
 * Cotangents of `wrt`, given the cotangents of `outputs` (zeros where nothing connects them).
 * Outputs not traced on the tape contribute nothing; an output listed twice adds its cotangents.
 */
export function backward(tape: Tape, outputs: readonly Tensor[], cotangents: readonly Tensor[], wrt: readonly Tensor[]): Tensor[] {
  const cot: (Tensor | undefined)[] = new Array(tape.slotCount);
  const put = (slot: number, c: Tensor) => {
    const prev = cot[slot];
    cot[slot] = prev === undefined ? c : add(prev, c);
  };
  outputs.forEach((o, i) => {
    const s = tape.slotOf(o);
    if (s !== undefined) put(s, cotangents[i]);
  });
  const nodes = tape.nodes;
  for (let n = nodes.length - 1; n >= 0; n--) {
    const node = nodes[n];
    const g = cot[node.outSlot];
    if (g === undefined) continue;
    // Read once, here: the transforms watch their inputs before recording, so no input is a node's output.
    cot[node.outSlot] = undefined;
    for (let i = 0; i < node.inputs.length; i++) {
      const slot = node.inSlots[i];
      if (slot < 0) continue;
      const c = node.vjps[i](g, node.inputs, node.output, node.params);
      if (!sameShape(c.shape, node.inputs[i].shape)) {
        throw new Error(`${node.name}: gradient rule for input ${i} gave ${shapeString(c.shape)}, input is ${shapeString(node.inputs[i].shape)}`);
      }
      put(slot, c);
    }
  }
  return wrt.map((t) => {
    const s = tape.slotOf(t);
    const g = s === undefined ? undefined : cot[s];
    return g ?? zeros(t.shape, t.dtype);
  });
}
