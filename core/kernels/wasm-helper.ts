/**
 * A second thread for the WebAssembly kernels: it runs the same module on the same (shared) memory and
 * takes a part of each large kernel (see wasm-split.ts for which parts: rows, images, planes, or half of a
 * dense product's inner dimension). The main thread's module posts a task to a small control block in that
 * memory (its arguments, then a bumped counter) and does its own part; the helper, spinning on the counter
 * here (it sleeps after a while without work), has its module run the task and echoes the counter back. A
 * hand-off costs well under a microsecond, where a message between threads would cost tens; and since the
 * posting happens inside the module, a split kernel is one module call, which jit's programs can hold.
 *
 * No Node-only module here: the embedder starts the thread (a Node worker, a browser Worker) and calls
 * `runWasmHelper` in it with the data it was given.
 */

import { CONTROL, CONTROL_BYTES, HELPER_TASKS } from "./wasm-contract.ts";

/** What the helper thread needs: pass it to `runWasmHelper` inside the new thread. */
export interface WasmHelperData {
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  /** Byte offset of the control block. */
  readonly control: number;
  /** Byte offsets of the helper's own scratch: non-zero positions, their values, a transposed operand. */
  readonly scratch: readonly [number, number, number];
}

const { SEQ, DONE, OP, SLEEPING, READY, FAILED } = CONTROL;

/** What the helper calls: the module's task runner (its kernels' parts, posted by the main thread's module). */
interface HelperExports {
  setScratch(idx: number, val: number, temp: number): void;
  helperTask(control: number): number;
}

// Spins on the counter before sleeping: a training step posts a task every few microseconds.
const SPINS_BEFORE_SLEEP = 2_000_000;

/** The helper thread's loop: runs until the main thread posts Stop. */
export function runWasmHelper(data: WasmHelperData): void {
  const ctrl = new Int32Array(data.memory.buffer, data.control, CONTROL_BYTES / 4);
  try {
    const wasm = new WebAssembly.Instance(data.module, { env: { memory: data.memory, abort() {} } }).exports as unknown as HelperExports;
    wasm.setScratch(...data.scratch);
    Atomics.store(ctrl, READY, 1);
    let seen = 0;
    for (;;) {
      let seq = Atomics.load(ctrl, SEQ);
      for (let spins = 0; seq === seen; seq = Atomics.load(ctrl, SEQ)) {
        if (++spins < SPINS_BEFORE_SLEEP) continue;
        Atomics.store(ctrl, SLEEPING, 1);
        Atomics.wait(ctrl, SEQ, seen); // returns at once if a task came in meanwhile
        Atomics.store(ctrl, SLEEPING, 0);
        spins = 0;
      }
      seen = seq;
      if (wasm.helperTask(data.control) === 0) {
        Atomics.store(ctrl, READY, 0);
        return;
      }
      Atomics.store(ctrl, DONE, seq);
    }
  } catch {
    Atomics.store(ctrl, READY, 0);
    Atomics.store(ctrl, FAILED, 1);
  }
}

/** The main thread's end of the control block, for what JavaScript does: ask whether it runs, stop it. */
export class HelperLink {
  private readonly ctrl: Int32Array;
  private stopped = false;

  constructor(memory: WebAssembly.Memory, control: number) {
    this.ctrl = new Int32Array(memory.buffer, control, CONTROL_BYTES / 4);
  }

  /** Whether the helper thread is running and taking tasks. */
  running(): boolean {
    return !this.stopped && Atomics.load(this.ctrl, READY) === 1;
  }

  /** Ends the helper's loop; the module then runs every task on this thread (the same numbers). */
  stop(): void {
    if (this.stopped) return;
    const c = this.ctrl;
    c[OP] = HELPER_TASKS.Stop;
    Atomics.store(c, SEQ, Atomics.load(c, SEQ) + 1); // the module posts through the same counter
    Atomics.notify(c, SEQ);
    this.stopped = true;
  }
}
