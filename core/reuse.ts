/**
 * Where tsgrad reuses a tensor's memory, and a way to make a late read of it fail loudly.
 *
 * A tensor is a value: no op writes into an input, and what an op returns is never written again. Three
 * places hand out tensors whose memory is reused later, each for a loop that has promised to be done with
 * them by then: `jit(f, { donate: true })` (outputs live in its buffers until the call after next starts),
 * `batchGatherer` in datasets (a batch lives until the one after next is gathered), and the training loop's
 * `onBatch` hook (its parameters live until the hook returns). With `poisonReused(true)` (tests do this) each
 * such tensor is poisoned when its memory is about to be reused: reading its `data` then throws, naming
 * where it came from, instead of giving the next step's numbers.
 */
import type { Tensor } from "./tensor.ts";

let poisoning = false;

/** Turns the poisoning of reused tensors on or off (off by default: it costs a little bookkeeping per call). */
export function poisonReused(on: boolean): void {
  poisoning = on;
}

/** Whether reused tensors are being poisoned. */
export function poisoningReused(): boolean {
  return poisoning;
}

/** Makes reading `t.data` throw: its memory now belongs to something else. */
export function poison(t: Tensor, where: string): void {
  Object.defineProperty(t, "data", {
    get() {
      throw new Error(`a tensor from ${where} was read after its memory was reused; copy what you keep longer (see core/reuse.ts)`);
    },
  });
}
