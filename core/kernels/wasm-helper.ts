/**
 * A second thread for the WebAssembly kernels: it runs the same module on the same (shared) memory and
 * takes half of each large product and update. The weight gradient and the update are split by rows
 * (the same numbers as on one thread); the forward product by halves of its inner dimension (the pixels),
 * each thread summing its half and the two added at the end, so that each thread only ever touches its own
 * half of the weights and they stay in its core's cache. That sum is rounded differently than on one thread,
 * but always the same way: whether the helper is running yet or not, the same halves are computed (by this
 * thread when the helper cannot take them), so results never depend on timing.
 *
 * The two threads talk through a small control block in that memory: the main thread writes a task and
 * bumps a counter; the helper, spinning on the counter (it sleeps after a while without work), runs the
 * task and echoes the counter back. A hand-off costs well under a microsecond, where a message between
 * threads would cost tens.
 *
 * No Node-only module here: the embedder starts the thread (a Node worker, a browser Worker) and calls
 * `runWasmHelper` in it with the data it was given.
 */

/** What the helper thread needs: pass it to `runWasmHelper` inside the new thread. */
export interface WasmHelperData {
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  /** Byte offset of the control block. */
  readonly control: number;
  /** Byte offsets of the helper's own scratch: non-zero positions, their values, a transposed operand. */
  readonly scratch: readonly [number, number, number];
}

// The control block, in 32-bit words.
const SEQ = 0; // tasks posted (main writes)
const DONE = 1; // tasks finished (helper writes)
const OP = 2;
const SLEEPING = 3; // the helper is (about to be) blocked in Atomics.wait
const READY = 4; // the helper is running; until then the main thread does all the work itself
const FAILED = 5;
const ARGS = 6; // nine i32 arguments, then one f32 (ALPHA)
const ALPHA = ARGS + 9;
/** Bytes the control block takes. */
export const CONTROL_BYTES = 64;

export const HelperOp = { Stop: -1, MatmulNNPart: 1, MatmulTNRows: 2, Axpy: 3 } as const;
export type HelperOp = (typeof HelperOp)[keyof typeof HelperOp];

/** The kernels a task runs (the module's exports). */
export interface HelperExports {
  setScratch(idx: number, val: number, temp: number): void;
  matmulNNPart(a: number, b: number, out: number, m: number, k: number, n: number, lo: number, hi: number): void;
  matmulTNRows(a: number, b: number, out: number, m: number, k: number, n: number, lo: number, hi: number, alpha: number, c: number): void;
  axpy(alpha: number, x: number, y: number, out: number, len: number): void;
}

/** Runs one task whose arguments are `args` (nine integers) and `alpha`; false for Stop. */
function execute(wasm: HelperExports, op: number, args: Int32Array | readonly number[], alpha: number): boolean {
  const a = args;
  switch (op) {
    case HelperOp.MatmulNNPart:
      wasm.matmulNNPart(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]);
      return true;
    case HelperOp.MatmulTNRows:
      wasm.matmulTNRows(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], alpha, a[8]);
      return true;
    case HelperOp.Axpy:
      wasm.axpy(alpha, a[0], a[1], a[2], a[3]);
      return true;
    default:
      return false;
  }
}

// Spins on the counter before sleeping: a training step posts a task every few microseconds.
const SPINS_BEFORE_SLEEP = 200_000;
// A wait this long (some hundreds of microseconds, where a task takes a few) means the helper was not running.
const LATE_SPINS = 200_000;
// Then this many tasks (a few hundred steps) run on the calling thread before the helper is tried again.
const INLINE_AFTER_LATE = 2_000;

/** The helper thread's loop: runs until the main thread posts Stop. */
export function runWasmHelper(data: WasmHelperData): void {
  const ctrl = new Int32Array(data.memory.buffer, data.control, CONTROL_BYTES / 4);
  const alpha = new Float32Array(data.memory.buffer, data.control, CONTROL_BYTES / 4);
  const args = ctrl.subarray(ARGS, ARGS + 9);
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
      if (!execute(wasm, ctrl[OP], args, alpha[ALPHA])) {
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

/**
 * The main thread's end of the control block. `run` hands a task to the helper when it is running, and
 * otherwise (not started yet, or stopped) runs it right here on `local`: the same numbers either way.
 */
export class HelperLink {
  private readonly ctrl: Int32Array;
  private readonly alpha: Float32Array;
  private seq = 0;
  private pending = false;
  private stopped = false;
  /** Tasks still to run on this thread after the helper was late. */
  private inlineFor = 0;
  private readonly localArgs = [0, 0, 0, 0, 0, 0, 0, 0, 0];

  constructor(memory: WebAssembly.Memory, control: number, private readonly local: HelperExports) {
    this.ctrl = new Int32Array(memory.buffer, control, CONTROL_BYTES / 4);
    this.alpha = new Float32Array(memory.buffer, control, CONTROL_BYTES / 4);
  }

  /** Whether the helper thread is running and taking tasks. */
  running(): boolean {
    return !this.stopped && Atomics.load(this.ctrl, READY) === 1;
  }

  /** Whether the next task goes to the helper (else it runs on this thread). */
  private handsOff(): boolean {
    if (this.inlineFor > 0) {
      this.inlineFor--;
      return false;
    }
    return this.running();
  }

  /** Starts a task; the caller does its own part, then calls `wait`. */
  run(op: HelperOp, a0: number, a1: number, a2: number, a3: number, a4 = 0, a5 = 0, a6 = 0, a7 = 0, a8 = 0, alpha = 0): void {
    const c = this.ctrl;
    if (!this.handsOff()) {
      const l = this.localArgs;
      l[0] = a0; l[1] = a1; l[2] = a2; l[3] = a3; l[4] = a4; l[5] = a5; l[6] = a6; l[7] = a7; l[8] = a8;
      execute(this.local, op, l, Math.fround(alpha));
      return;
    }
    c[OP] = op;
    c[ARGS] = a0; c[ARGS + 1] = a1; c[ARGS + 2] = a2; c[ARGS + 3] = a3;
    c[ARGS + 4] = a4; c[ARGS + 5] = a5; c[ARGS + 6] = a6; c[ARGS + 7] = a7; c[ARGS + 8] = a8;
    this.alpha[ALPHA] = alpha;
    this.pending = true;
    Atomics.store(c, SEQ, ++this.seq); // publishes the arguments written above
    if (Atomics.load(c, SLEEPING) === 1) Atomics.notify(c, SEQ);
  }

  /** Returns once the task started last is finished. */
  wait(): void {
    if (!this.pending) return;
    const c = this.ctrl;
    let spins = 0;
    while (Atomics.load(c, DONE) !== this.seq) {
      if (Atomics.load(c, FAILED) === 1) throw new Error("wasm kernels: the helper thread failed");
      spins++;
    }
    this.pending = false;
    // A helper this late has lost its core to something else: then two threads only wait for each other, so
    // the next tasks run here (the same numbers) and the helper goes to sleep, until it is tried again.
    if (spins > LATE_SPINS) this.inlineFor = INLINE_AFTER_LATE;
  }

  /** Ends the helper's loop; tasks then run on this thread. */
  stop(): void {
    if (this.stopped) return;
    const c = this.ctrl;
    c[OP] = HelperOp.Stop;
    Atomics.store(c, SEQ, ++this.seq);
    Atomics.notify(c, SEQ);
    this.stopped = true;
  }
}
